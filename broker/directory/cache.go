package directory

import (
	"container/list"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/identity"
)

// CacheConfig configures a Cached directory.
type CacheConfig struct {
	// Directory is read on a miss and whenever the change feed is down;
	// usually Store.
	Directory decision.Directory
	// Size bounds the number of entries; default 10000. The least recently
	// used entry makes room for a new one.
	Size int
	// TTL bounds how long an entry, found or not found, is served even
	// though no change was reported; default 30s.
	TTL time.Duration
	// Clock tells the time; time.Now if nil.
	Clock func() time.Time
}

// Validate reports whether c can build a cache.
func (c CacheConfig) Validate() error {
	var errs []error
	if c.Directory == nil {
		errs = append(errs, errors.New("directory: CacheConfig.Directory is nil"))
	}
	if c.Size < 0 {
		errs = append(errs, errors.New("directory: negative CacheConfig.Size"))
	}
	if c.TTL < 0 {
		errs = append(errs, errors.New("directory: negative CacheConfig.TTL"))
	}
	return errors.Join(errs...)
}

// Cached is a per-worker cache in front of a decision.Directory. It serves
// entries only while a change feed (Follow) is up, drops them as soon as the
// feed reports a change to the user they describe, and flushes everything
// whenever the feed goes down or comes back, so that a change committed on
// any worker (a lock, a deactivation, a membership removed) is never missed
// for longer than its notification takes to arrive. Without a feed it reads
// the directory every time. It is safe for concurrent use.
type Cached struct {
	dir   decision.Directory
	size  int
	ttl   time.Duration
	clock func() time.Time

	following atomic.Bool
	hits      atomic.Uint64
	misses    atomic.Uint64
	bypasses  atomic.Uint64

	mu sync.Mutex
	// live is true while the feed is up: only then are entries served and
	// stored.
	live bool
	// gen counts invalidations: a lookup stores its result only if no
	// invalidation happened while it read the directory, since its read may
	// predate the change.
	gen     uint64
	entries map[cacheKey]*entry
	lru     list.List // of *entry, most recently used first
	byUser  index     // user id -> entries
	byKey   index     // folded principal id or e-mail -> entries
}

var _ decision.Directory = (*Cached)(nil)

// NewCached returns a cache in front of cfg.Directory. It serves nothing
// until Follow reports its feed up.
func NewCached(cfg CacheConfig) (*Cached, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Size == 0 {
		cfg.Size = 10000
	}
	if cfg.TTL == 0 {
		cfg.TTL = 30 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Cached{
		dir: cfg.Directory, size: cfg.Size, ttl: cfg.TTL, clock: cfg.Clock,
		entries: map[cacheKey]*entry{}, byUser: index{}, byKey: index{},
	}, nil
}

// cacheKey is what a lookup depends on: who the token says it is and the
// links its issuer allows.
type cacheKey struct{ issuer, subject, email, by, externalID, userName string }

func keyOf(p identity.Principal) cacheKey {
	return cacheKey{p.Issuer, p.Subject, p.Email, strings.Join(p.Link.By, ","), p.Link.ExternalID, p.Link.UserName}
}

// entry is a cached Lookup result: a directory entry, or a not-found error.
type entry struct {
	key     cacheKey
	val     decision.Entry
	err     error
	expires time.Time
	// keys are the change-feed keys that may make another user (or none)
	// the answer: fold(email), fold(user name claim), "ext:"+externalId,
	// "link:"+issuer+"#"+subject; and, for a user_id link, the subject as
	// a user id (in users).
	keys  [4]string
	users [2]string
	elem  *list.Element
}

// dependencies fills e.keys and e.users from the lookup and its answer.
func (e *entry) dependencies(p identity.Principal) {
	e.keys = [4]string{fold(p.Email), fold(p.Link.UserName), "", ""}
	if p.Link.ExternalID != "" {
		e.keys[2] = "ext:" + p.Link.ExternalID
	}
	if p.Issuer != "" && p.Subject != "" {
		e.keys[3] = "link:" + p.Issuer + "#" + p.Subject
	}
	e.users[0] = e.val.UserID
	if slices.Contains(p.Link.By, identity.LinkUserID) {
		e.users[1] = p.Subject
	}
}

// fold folds a user name or e-mail address as the store does for its
// case-insensitive columns (user_name_key, value_key), so that a change
// feed's keys compare equal.
func fold(s string) string { return strings.ToLower(s) }

// Lookup implements decision.Directory. Found entries and not-found answers
// are cached; any other error (an ambiguous e-mail, an unavailable store) is
// not.
func (c *Cached) Lookup(ctx context.Context, p identity.Principal) (decision.Entry, error) {
	k := keyOf(p)
	c.mu.Lock()
	if !c.live {
		c.mu.Unlock()
		c.bypasses.Add(1)
		return c.dir.Lookup(ctx, p)
	}
	now := c.clock()
	if e := c.entries[k]; e != nil {
		if now.Before(e.expires) {
			c.lru.MoveToFront(e.elem)
			val, err := e.val, e.err
			c.mu.Unlock()
			c.hits.Add(1)
			val.Groups = slices.Clone(val.Groups) // callers own what they get
			return val, err
		}
		c.remove(e)
	}
	gen := c.gen
	c.mu.Unlock()
	c.misses.Add(1)

	val, err := c.dir.Lookup(ctx, p)
	if err != nil && !errors.Is(err, decision.ErrNotFound) {
		return val, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return val, err // the read may predate a change: do not keep it
	}
	if old := c.entries[k]; old != nil {
		c.remove(old) // a concurrent miss stored it first
	}
	e := &entry{key: k, err: err, expires: now.Add(c.ttl)}
	if err == nil {
		e.val = val
		e.val.Groups = slices.Clone(val.Groups)
	}
	e.dependencies(p)
	c.insert(e)
	return val, err
}

// Invalidate drops the entries of the given user ids.
func (c *Cached) Invalidate(userIDs ...string) { c.invalidate(userIDs, nil) }

// InvalidateAll drops every entry.
func (c *Cached) InvalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flush()
}

// invalidate drops the entries of the given users, and those looked up by
// a principal id or e-mail whose folded form is among keys: a user renamed
// or created, or an e-mail address added or removed, may change who such a
// lookup finds, or whether it finds anyone.
func (c *Cached) invalidate(userIDs, keys []string) {
	if len(userIDs) == 0 && len(keys) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range userIDs {
		for e := range c.byUser[id] {
			c.remove(e)
		}
	}
	for _, k := range keys {
		for e := range c.byKey[k] {
			c.remove(e)
		}
	}
}

// CacheStats counts a cache's lookups.
type CacheStats struct {
	Hits     uint64 // served from the cache
	Misses   uint64 // read from the directory while the feed was up
	Bypasses uint64 // read from the directory because the feed was down
	Entries  int
	Live     bool // the feed is up: entries are served
}

// Stats returns the counts so far.
func (c *Cached) Stats() CacheStats {
	c.mu.Lock()
	n, live := len(c.entries), c.live
	c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Bypasses: c.bypasses.Load(), Entries: n, Live: live}
}

// flush drops every entry; c.mu is held.
func (c *Cached) flush() {
	c.gen++
	clear(c.entries)
	clear(c.byUser)
	clear(c.byKey)
	c.lru.Init()
}

// insert adds e, evicting the least recently used entry if the cache is
// full; c.mu is held.
func (c *Cached) insert(e *entry) {
	for len(c.entries) >= c.size {
		c.remove(c.lru.Back().Value.(*entry))
	}
	c.entries[e.key] = e
	e.elem = c.lru.PushFront(e)
	for _, u := range e.users {
		if u != "" {
			c.byUser.add(u, e)
		}
	}
	for _, k := range e.keys {
		if k != "" {
			c.byKey.add(k, e)
		}
	}
}

// remove drops e; c.mu is held.
func (c *Cached) remove(e *entry) {
	delete(c.entries, e.key)
	c.lru.Remove(e.elem)
	for _, u := range e.users {
		c.byUser.remove(u, e)
	}
	for _, k := range e.keys {
		c.byKey.remove(k, e)
	}
}

// index finds the entries that depend on a user id or key.
type index map[string]map[*entry]struct{}

func (x index) add(k string, e *entry) {
	s := x[k]
	if s == nil {
		s = map[*entry]struct{}{}
		x[k] = s
	}
	s[e] = struct{}{}
}

func (x index) remove(k string, e *entry) {
	if s := x[k]; s != nil {
		delete(s, e)
		if len(s) == 0 {
			delete(x, k)
		}
	}
}
