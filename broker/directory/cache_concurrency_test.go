package directory_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/directory"
)

// TestCachedConcurrent looks principals up while they are invalidated,
// evicted and the feed goes down and up (run with -race), then checks that
// the cache still serves a lock as soon as it is told of it.
func TestCachedConcurrent(t *testing.T) {
	f := newFixture(t, directory.CacheConfig{Size: 3})
	f.feed.send(t, up)
	aliceID := userID(t, f.st, "alice@example.com")
	ctx := context.Background()
	var g errgroup.Group
	for w := range 6 {
		g.Go(func() error {
			for i := range 200 {
				p := principals[(w+i)%len(principals)]
				e, err := f.cache.Lookup(ctx, pr(p.id, p.email))
				if p.id == "bob@example.com" && (err != nil || e.Active) {
					return fmt.Errorf("Lookup(bob) = %+v, %v; want inactive", e, err)
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		for i := range 100 {
			if i%10 == 0 {
				f.cache.InvalidateAll()
			} else {
				f.cache.Invalidate(aliceID)
			}
		}
		return nil
	})
	g.Go(func() error {
		for range 50 {
			f.feed <- directory.Change{Kind: directory.FeedDown}
			f.feed <- directory.Change{Kind: directory.ChangeUsers, Users: []string{aliceID}}
			f.feed <- up
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := f.cache.Stats(); got.Entries > 3 || got.Hits == 0 {
		t.Errorf("Stats() = %+v, want at most 3 entries and some hits", got)
	}
	f.lookup(t, "alice@example.com", "")
	setLocked(t, f.st, "alice@example.com", true)
	f.cache.Invalidate(aliceID)
	if e, err := f.lookup(t, "alice@example.com", ""); err != nil || !e.Locked {
		t.Errorf("Lookup(alice) after Invalidate = %+v, %v; want locked", e, err)
	}
}
