package directory_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/postgres"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// teeFeed passes a feed's changes to the cache and, once the cache has
// applied each, to seen.
type teeFeed struct {
	f    directory.Feed
	seen chan directory.Change
}

func (t *teeFeed) Changes(ctx context.Context) (<-chan directory.Change, error) {
	in, err := t.f.Changes(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan directory.Change)
	go func() {
		defer close(out)
		for ch := range in {
			// The cache applies one change before it takes the next: once
			// it has taken the empty one, ch is applied.
			for _, c := range []directory.Change{ch, {Kind: directory.ChangeUsers}} {
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			}
			select {
			case t.seen <- ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// waitFor waits until the cache has applied a change that ok accepts.
func (t *teeFeed) waitFor(tb testing.TB, what string, ok func(directory.Change) bool) {
	tb.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ch := <-t.seen:
			if ok(ch) {
				return
			}
		case <-timeout:
			tb.Fatalf("the cache was not told of %s within 10s", what)
		}
	}
}

func mentions(id string) func(directory.Change) bool {
	return func(ch directory.Change) bool { return slices.Contains(ch.Users, id) }
}

// TestCachedSeesOtherWorkersChanges: worker B caches alice; worker A locks
// her, drops her from a group and creates a user B had not found. B sees
// each change as soon as A's transaction commits and its notification
// arrives, without waiting for the TTL.
func TestCachedSeesOtherWorkersChanges(t *testing.T) {
	a, cache, feed := twoWorkers(t)
	ctx := context.Background()
	aliceID := userID(t, a, "alice@example.com")
	lookup := func(id string) (decision.Entry, error) { return cache.Lookup(ctx, pr(id, "")) }
	for range 2 {
		if e, err := lookup("alice@example.com"); err != nil || e.Locked {
			t.Fatalf("Lookup(alice) = %+v, %v; want unlocked", e, err)
		}
	}
	if _, err := lookup("dana@example.com"); err == nil {
		t.Fatal("Lookup(dana) = found before she exists")
	}
	if got := cache.Stats(); got.Hits != 1 || got.Misses != 2 {
		t.Fatalf("Stats() = %+v, want 1 hit and 2 misses", got)
	}

	setLocked(t, a, "alice@example.com", true)
	feed.waitFor(t, "alice's lock", mentions(aliceID))
	if e, err := lookup("alice@example.com"); err != nil || !e.Locked {
		t.Errorf("Lookup(alice) on B after A locked her = %+v, %v; want locked", e, err)
	}

	err := a.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		g, err := tx.GetGroupByName(ctx, "analysts")
		if err != nil {
			return err
		}
		_, err = tx.RemoveMembers(ctx, g.ID, aliceID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	feed.waitFor(t, "alice leaving analysts", mentions(aliceID))
	if e, _ := lookup("alice@example.com"); !cmp.Equal(e.Groups, []string{"data-eng"}) {
		t.Errorf("Lookup(alice).Groups on B after A removed her from analysts = %q, want [data-eng]", e.Groups)
	}

	var danaID string
	err = a.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := tx.PutUser(ctx, store.User{UserName: "dana@example.com", Active: true})
		danaID = u.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	feed.waitFor(t, "dana's creation", mentions(danaID))
	if e, err := lookup("dana@example.com"); err != nil || e.UserID != danaID {
		t.Errorf("Lookup(dana) on B after A created her = %+v, %v; want found", e, err)
	}
	if got := cache.Stats(); got.Bypasses != 0 {
		t.Errorf("Stats().Bypasses = %d, want 0: the feed stayed up", got.Bypasses)
	}
}

// TestCachedSeesResolutionChanges: B cached what a principal id and
// e-mail resolve to; A's writes make them resolve to someone else, or to
// several users (refused), without touching the user B found.
func TestCachedSeesResolutionChanges(t *testing.T) {
	a, cache, feed := twoWorkers(t)
	ctx := context.Background()
	aliceID := userID(t, a, "alice@example.com")
	put := func(u store.User) string {
		t.Helper()
		err := a.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			u, err = tx.PutUser(ctx, u)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	if e, err := cache.Lookup(ctx, pr("sub-123", "A.Smith@example.com")); err != nil || e.UserID != aliceID {
		t.Fatalf("Lookup(sub-123, a.smith) = %+v, %v; want alice", e, err)
	}
	// An explicit link of the subject wins over the e-mail.
	id := put(store.User{UserName: "Sub-123", Active: true})
	err := a.Update(ctx, func(ctx context.Context, tx store.Tx) error { return tx.LinkIdentity(ctx, testIssuer, "sub-123", id) })
	if err != nil {
		t.Fatal(err)
	}
	feed.waitFor(t, "the link of sub-123", func(ch directory.Change) bool {
		return slices.Contains(ch.Keys, "link:"+testIssuer+"#sub-123")
	})
	if e, err := cache.Lookup(ctx, pr("sub-123", "A.Smith@example.com")); err != nil || e.UserID != id || e.LinkedBy != identity.LinkIdentity {
		t.Errorf("Lookup(sub-123, a.smith) after A linked sub-123 to %s = %+v, %v; want that user by identity_link", id, e, err)
	}

	if e, err := cache.Lookup(ctx, pr("sub-456", "a.smith@example.com")); err != nil || e.UserID != aliceID {
		t.Fatalf("Lookup(sub-456, a.smith) = %+v, %v; want alice", e, err)
	}
	id = put(store.User{UserName: "impostor", Active: true, Emails: []store.Email{{Value: "A.SMITH@example.com", Primary: true}}})
	// Its row and its e-mail address are notified apart: wait for the latter.
	feed.waitFor(t, "impostor's e-mail", func(ch directory.Change) bool {
		return slices.Contains(ch.Users, id) && slices.Contains(ch.Keys, "a.smith@example.com")
	})
	if _, err := cache.Lookup(ctx, pr("sub-456", "a.smith@example.com")); fault.ReasonOf(err) != "principal_ambiguous" {
		t.Errorf("Lookup(sub-456, a.smith) after A gave a.smith to another user = %v, want principal_ambiguous", err)
	}
}

// twoWorkers returns worker A's store, and worker B's cache following the
// PostgreSQL feed (up), over one schema holding the test directory.
func twoWorkers(t *testing.T) (store.Store, *directory.Cached, *teeFeed) {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	a, b := openPostgres(t, dsn), openPostgres(t, dsn)
	seed(t, a)
	l, err := postgres.Listen(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	feed := &teeFeed{f: l, seen: make(chan directory.Change, 64)}
	cache, err := directory.NewCached(directory.CacheConfig{Directory: directory.Store{St: b}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cache.Follow(ctx, feed) }()
	t.Cleanup(func() {
		cancel()
		<-done
		l.Close()
	})
	feed.waitFor(t, "FeedUp", func(ch directory.Change) bool { return ch.Kind == directory.FeedUp })
	return a, cache, feed
}

func openPostgres(t testing.TB, dsn string) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, MaxConns: 4})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkLookup looks alice up through the directory, and through a
// cache whose feed is up (all hits).
func BenchmarkLookup(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			seed(b, st)
			ctx := context.Background()
			b.Run("uncached", func(b *testing.B) {
				d := directory.Store{St: st}
				for b.Loop() {
					if _, err := d.Lookup(ctx, pr("alice@example.com", "")); err != nil {
						b.Fatal(err)
					}
				}
			})
			c := followedCache(b, st)
			b.Run("cached", func(b *testing.B) {
				for b.Loop() {
					if _, err := c.Lookup(ctx, pr("alice@example.com", "")); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("cached-parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := c.Lookup(ctx, pr("alice@example.com", "")); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

// followedCache is a cache over st whose feed is up.
func followedCache(b *testing.B, st store.Store) *directory.Cached {
	c, err := directory.NewCached(directory.CacheConfig{Directory: directory.Store{St: st}})
	if err != nil {
		b.Fatal(err)
	}
	feed := make(chanFeed)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Follow(ctx, feed) }()
	b.Cleanup(func() { cancel(); <-done })
	feed.send(b, up)
	return c
}
