package directory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/identity"
)

// TestCachedFailsClosed: a lock committed while the feed is down (its
// notification lost) is seen while it is down and after it comes back.
func TestCachedFailsClosed(t *testing.T) {
	f := newFixture(t, directory.CacheConfig{})
	for i := range 2 {
		if e, err := f.lookup(t, "alice@example.com", ""); err != nil || e.Locked {
			t.Fatalf("Lookup(alice) #%d before the feed is up = %+v, %v; want unlocked", i, e, err)
		}
	}
	if got := f.cache.Stats(); got.Bypasses != 2 || got.Entries != 0 || got.Live {
		t.Errorf("Stats() before the feed is up = %+v, want 2 bypasses, no entries, not live", got)
	}

	f.feed.send(t, up)
	f.lookup(t, "alice@example.com", "")
	f.feed.send(t, directory.Change{Kind: directory.FeedDown})
	if got := f.cache.Stats(); got.Entries != 0 || got.Live {
		t.Errorf("Stats() after FeedDown = %+v, want no entries, not live", got)
	}
	setLocked(t, f.st, "alice@example.com", true) // no notification
	f.dir.reset()
	for i := range 2 {
		if e, err := f.lookup(t, "alice@example.com", ""); err != nil || !e.Locked {
			t.Errorf("Lookup(alice) #%d while the feed is down = %+v, %v; want locked", i, e, err)
		}
	}
	if got := f.dir.reset(); len(got) != 2 {
		t.Errorf("directory reads while the feed is down = %q, want 2", got)
	}

	setLocked(t, f.st, "alice@example.com", false) // no notification either
	f.feed.send(t, up)
	if e, err := f.lookup(t, "alice@example.com", ""); err != nil || e.Locked {
		t.Errorf("Lookup(alice) after the feed came back = %+v, %v; want unlocked", e, err)
	}
}

func TestCachedStopsServingWhenFeedStops(t *testing.T) {
	st := testStore(t)
	c, err := directory.NewCached(directory.CacheConfig{Directory: directory.Store{St: st}})
	if err != nil {
		t.Fatal(err)
	}
	feed := make(chanFeed, 1)
	feed <- up
	close(feed)
	if err := c.Follow(context.Background(), feed); err != nil {
		t.Errorf("Follow(closed feed) = %v, want nil", err)
	}
	c.Lookup(context.Background(), pr("alice@example.com", ""))
	if got := c.Stats(); got.Live || got.Entries != 0 || got.Bypasses != 1 {
		t.Errorf("Stats() after the feed stopped = %+v, want not live, no entries, 1 bypass", got)
	}
}

func TestCachedFollowsOneFeed(t *testing.T) {
	f := newFixture(t, directory.CacheConfig{})
	f.feed.send(t, up) // Follow is running
	if err := f.cache.Follow(context.Background(), make(chanFeed)); !errors.Is(err, directory.ErrFollowing) {
		t.Errorf("second Follow = %v, want ErrFollowing", err)
	}
}

// TestCachedDropsRacingFill: a read that began before a change and ends
// after its notification must not be kept.
func TestCachedDropsRacingFill(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, f *fixture, aliceID string)
	}{
		{"Invalidate", func(_ *testing.T, f *fixture, id string) { f.cache.Invalidate(id) }},
		{"feed down and up", func(t *testing.T, f *fixture, _ string) {
			f.feed.send(t, directory.Change{Kind: directory.FeedDown})
			f.feed.send(t, up)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, directory.CacheConfig{})
			f.feed.send(t, up)
			aliceID := userID(t, f.st, "alice@example.com")
			gate := &gated{d: directory.Store{St: f.st}, read: make(chan struct{}), release: make(chan struct{})}
			f.dir.d = gate // fixture's directory: reads, then waits
			stale := make(chan decision.Entry)
			go func() {
				e, _ := f.cache.Lookup(context.Background(), pr("alice@example.com", ""))
				stale <- e
			}()
			<-gate.read
			setLocked(t, f.st, "alice@example.com", true)
			tt.change(t, f, aliceID)
			close(gate.release)
			if e := <-stale; e.Locked {
				t.Fatalf("racing Lookup(alice) = %+v, want the stale unlocked entry", e)
			}
			f.dir.d = directory.Store{St: f.st}
			if e, err := f.lookup(t, "alice@example.com", ""); err != nil || !e.Locked {
				t.Errorf("Lookup(alice) after the change = %+v, %v; want locked", e, err)
			}
		})
	}
}

// gated reads the directory once, then waits to be released.
type gated struct {
	d             decision.Directory
	read, release chan struct{}
}

func (g *gated) Lookup(ctx context.Context, p identity.Principal) (decision.Entry, error) {
	e, err := g.d.Lookup(ctx, p)
	close(g.read)
	<-g.release
	return e, err
}
