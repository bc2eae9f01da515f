package directory_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
)

var up = directory.Change{Kind: directory.FeedUp}

// principals are the lookups the tests prime a cache with.
var principals = []struct{ id, email string }{
	{"alice@example.com", ""},
	{"sub-123", "a.smith@example.com"}, // alice, by e-mail
	{"bob@example.com", ""},
	{"mallory@example.com", "mallory@example.com"}, // not found
}

func TestCachedHitAndMiss(t *testing.T) {
	f := newFixture(t, directory.CacheConfig{})
	f.feed.send(t, up)
	for _, p := range principals {
		want, wantErr := directory.Store{St: f.st}.Lookup(context.Background(), pr(p.id, p.email))
		for i := range 3 {
			got, err := f.lookup(t, p.id, p.email)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("Lookup(%q, %q) #%d error = %v, want %v", p.id, p.email, i, err, wantErr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Lookup(%q, %q) #%d mismatch (-store +cache):\n%s", p.id, p.email, i, diff)
			}
		}
	}
	wantRead := []string{"alice@example.com", "sub-123", "bob@example.com", "mallory@example.com"}
	if diff := cmp.Diff(wantRead, f.dir.reset()); diff != "" {
		t.Errorf("directory reads (-want +got):\n%s", diff)
	}
	want := directory.CacheStats{Hits: 8, Misses: 4, Entries: 4, Live: true}
	if diff := cmp.Diff(want, f.cache.Stats()); diff != "" {
		t.Errorf("Stats() mismatch (-want +got):\n%s", diff)
	}
}

func TestCachedInvalidation(t *testing.T) {
	tests := []struct {
		name string
		do   func(t *testing.T, f *fixture, aliceID string)
		// reread are the principals read again after do.
		reread []string
	}{
		{"nothing", func(*testing.T, *fixture, string) {}, nil},
		{"Invalidate(alice)", func(_ *testing.T, f *fixture, id string) { f.cache.Invalidate(id) },
			[]string{"alice@example.com", "sub-123"}},
		{"Invalidate(unknown id)", func(_ *testing.T, f *fixture, _ string) { f.cache.Invalidate("no-such-id") }, nil},
		{"InvalidateAll", func(_ *testing.T, f *fixture, _ string) { f.cache.InvalidateAll() },
			[]string{"alice@example.com", "sub-123", "bob@example.com", "mallory@example.com"}},
		{"feed: alice changed", func(t *testing.T, f *fixture, id string) {
			f.feed.send(t, directory.Change{Kind: directory.ChangeUsers, Users: []string{id}})
		}, []string{"alice@example.com", "sub-123"}},
		{"feed: e-mail a.smith moved", func(t *testing.T, f *fixture, _ string) {
			f.feed.send(t, directory.Change{Kind: directory.ChangeUsers, Keys: []string{"a.smith@example.com"}})
		}, []string{"sub-123"}},
		{"feed: user mallory created", func(t *testing.T, f *fixture, _ string) {
			f.feed.send(t, directory.Change{Kind: directory.ChangeUsers, Users: []string{"new-id"}, Keys: []string{"mallory@example.com"}})
		}, []string{"mallory@example.com"}},
		{"feed: user sub-123 created (principal ids never match user names)", func(t *testing.T, f *fixture, _ string) {
			f.feed.send(t, directory.Change{Kind: directory.ChangeUsers, Keys: []string{"sub-123"}})
		}, nil},
		{"feed: identity of sub-123 linked", func(t *testing.T, f *fixture, _ string) {
			f.feed.send(t, directory.Change{Kind: directory.ChangeUsers, Keys: []string{"link:" + testIssuer + "#sub-123"}})
		}, []string{"sub-123"}},
		{"feed: everything", func(t *testing.T, f *fixture, _ string) {
			f.feed.send(t, directory.Change{Kind: directory.ChangeAll})
		}, []string{"alice@example.com", "sub-123", "bob@example.com", "mallory@example.com"}},
		{"feed: unknown kind", func(t *testing.T, f *fixture, _ string) {
			f.feed.send(t, directory.Change{})
		}, []string{"alice@example.com", "sub-123", "bob@example.com", "mallory@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, directory.CacheConfig{})
			f.feed.send(t, up)
			for _, p := range principals {
				f.lookup(t, p.id, p.email)
			}
			f.dir.reset()
			tt.do(t, f, userID(t, f.st, "alice@example.com"))
			for _, p := range principals {
				f.lookup(t, p.id, p.email)
			}
			if diff := cmp.Diff(tt.reread, f.dir.reset()); diff != "" {
				t.Errorf("principals read again (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCachedTTL(t *testing.T) {
	const ttl = 10 * time.Second
	f := newFixture(t, directory.CacheConfig{TTL: ttl})
	f.feed.send(t, up)
	lookupAll := func() {
		f.lookup(t, "alice@example.com", "")
		f.lookup(t, "mallory@example.com", "")
	}
	lookupAll()
	// Changes the feed missed: alice locked, mallory created.
	setLocked(t, f.st, "alice@example.com", true)
	err := f.st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.PutUser(ctx, store.User{UserName: "mallory@example.com", Active: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.dir.reset()
	f.clock.Add(ttl - time.Nanosecond)
	lookupAll()
	if got := f.dir.reset(); len(got) != 0 {
		t.Errorf("directory reads before the TTL = %q, want none", got)
	}
	f.clock.Add(time.Nanosecond)
	if e, err := f.lookup(t, "alice@example.com", ""); err != nil || !e.Locked {
		t.Errorf("Lookup(alice) at the TTL = %+v, %v; want locked", e, err)
	}
	if _, err := f.lookup(t, "mallory@example.com", ""); err != nil {
		t.Errorf("Lookup(mallory) at the TTL = %v, want found", err)
	}
}

func TestCachedDoesNotKeepErrors(t *testing.T) {
	f := newFixture(t, directory.CacheConfig{})
	f.feed.send(t, up)
	err := f.st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, n := range []string{"old-carol", "new-carol"} {
			if _, err := tx.PutUser(ctx, store.User{UserName: n, Active: true, Emails: []store.Email{{Value: "carol@example.com"}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := f.lookup(t, "sub-9", "carol@example.com"); fault.ReasonOf(err) != "principal_ambiguous" {
			t.Errorf("Lookup(shared e-mail) = %v, want principal_ambiguous", err)
		}
	}
	if got := f.dir.reset(); len(got) != 2 {
		t.Errorf("directory reads of an ambiguous principal = %q, want 2", got)
	}

	down := &failing{err: fault.AsTransient("store_unavailable", errors.New("connection refused"))}
	f.dir.d = down
	for range 2 {
		if _, err := f.lookup(t, "bob@example.com", ""); !errors.Is(err, down.err) {
			t.Errorf("Lookup(store down) = %v, want %v", err, down.err)
		}
	}
	if got := f.dir.reset(); len(got) != 2 {
		t.Errorf("directory reads while it fails = %q, want 2", got)
	}
}

type failing struct{ err error }

func (f *failing) Lookup(context.Context, identity.Principal) (decision.Entry, error) {
	return decision.Entry{}, f.err
}

func TestCachedEvictsLeastRecentlyUsed(t *testing.T) {
	f := newFixture(t, directory.CacheConfig{Size: 2})
	f.feed.send(t, up)
	for _, id := range []string{"alice@example.com", "bob@example.com", "alice@example.com", "etl-bot@proj.iam.gserviceaccount.com"} {
		f.lookup(t, id, "")
	}
	f.dir.reset()
	f.lookup(t, "alice@example.com", "")
	f.lookup(t, "bob@example.com", "")
	if diff := cmp.Diff([]string{"bob@example.com"}, f.dir.reset()); diff != "" {
		t.Errorf("reads after eviction (-want +got):\n%s", diff)
	}
	if got := f.cache.Stats().Entries; got != 2 {
		t.Errorf("Stats().Entries = %d, want 2", got)
	}
}

func TestCachedCallersOwnGroups(t *testing.T) {
	f := newFixture(t, directory.CacheConfig{})
	f.feed.send(t, up)
	e, _ := f.lookup(t, "alice@example.com", "")
	want := slices.Clone(e.Groups)
	e.Groups[0] = "admins"
	for range 2 {
		e, _ = f.lookup(t, "alice@example.com", "")
		if diff := cmp.Diff(want, e.Groups); diff != "" {
			t.Fatalf("Lookup(alice).Groups after a caller changed them (-want +got):\n%s", diff)
		}
		e.Groups[0] = "admins"
	}
}

func TestCacheConfigValidate(t *testing.T) {
	dir := directory.Store{}
	tests := []struct {
		name string
		cfg  directory.CacheConfig
		ok   bool
	}{
		{"defaults", directory.CacheConfig{Directory: dir}, true},
		{"no directory", directory.CacheConfig{}, false},
		{"negative size", directory.CacheConfig{Directory: dir, Size: -1}, false},
		{"negative TTL", directory.CacheConfig{Directory: dir, TTL: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := directory.NewCached(tt.cfg); (err == nil) != tt.ok {
				t.Errorf("NewCached(%+v) error = %v, want ok = %v", tt.cfg, err, tt.ok)
			}
		})
	}
}
