package directory_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// recording is the real directory, recording which principals reached it.
type recording struct {
	d  decision.Directory
	mu sync.Mutex
	// read lists the principal ids looked up since the last reset.
	read []string
}

func (r *recording) Lookup(ctx context.Context, p identity.Principal) (decision.Entry, error) {
	r.mu.Lock()
	r.read = append(r.read, p.ID)
	r.mu.Unlock()
	return r.d.Lookup(ctx, p)
}

// reset returns the principal ids read so far and forgets them.
func (r *recording) reset() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	read := r.read
	r.read = nil
	return read
}

// chanFeed is a feed the test drives.
type chanFeed chan directory.Change

func (f chanFeed) Changes(context.Context) (<-chan directory.Change, error) { return f, nil }

// send hands ch to the following cache and returns once it has been
// applied: the cache takes changes one at a time and applies each before it
// takes the next, so once it has taken another one after ch, ch is applied.
// That other one is empty: it invalidates nothing.
func (f chanFeed) send(t testing.TB, ch directory.Change) {
	t.Helper()
	for _, c := range []directory.Change{ch, {Kind: directory.ChangeUsers}} {
		select {
		case f <- c:
		case <-time.After(10 * time.Second):
			t.Fatalf("the cache did not take change %+v within 10s", c)
		}
	}
}

// clock is a fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a cache over the test directory in SQLite, following a feed
// the test drives. The feed is not up yet.
type fixture struct {
	st    store.Store
	dir   *recording
	cache *directory.Cached
	feed  chanFeed
	clock *clock
}

func newFixture(t *testing.T, cfg directory.CacheConfig) *fixture {
	t.Helper()
	st := testStore(t)
	f := &fixture{st: st, dir: &recording{d: directory.Store{St: st}}, feed: make(chanFeed),
		clock: &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}
	cfg.Directory, cfg.Clock = f.dir, f.clock.Now
	var err error
	if f.cache, err = directory.NewCached(cfg); err != nil {
		t.Fatalf("NewCached: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.cache.Follow(ctx, f.feed) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Follow = %v, want nil", err)
		}
	})
	return f
}

// testStore is a SQLite store holding the test directory.
func testStore(t testing.TB) store.Store {
	t.Helper()
	st := storetest.SQLite(t)
	seed(t, st)
	return st
}

// seed imports the test directory (the file of directory_test.go).
func seed(t testing.TB, st store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dir.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := directory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directory.Import(context.Background(), st, f, directory.ImportOptions{}); err != nil {
		t.Fatalf("Import: %v", err)
	}
}

// lookup looks id up through the cache.
func (f *fixture) lookup(t *testing.T, id, email string) (decision.Entry, error) {
	t.Helper()
	return f.cache.Lookup(context.Background(), pr(id, email))
}

// userID returns the id of the user named name.
func userID(t testing.TB, st store.Store, name string) string {
	t.Helper()
	var id string
	err := st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUserByName(ctx, name)
		id = u.ID
		return err
	})
	if err != nil {
		t.Fatalf("GetUserByName(%q): %v", name, err)
	}
	return id
}

// setLocked locks or unlocks the user named name in the store, telling no
// cache.
func setLocked(t testing.TB, st store.Store, name string, locked bool) {
	t.Helper()
	err := st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUserByName(ctx, name)
		if err != nil {
			return err
		}
		_, err = tx.SetUserLocked(ctx, u.ID, locked, "leaver")
		return err
	})
	if err != nil {
		t.Fatalf("SetUserLocked(%q, %v): %v", name, locked, err)
	}
}
