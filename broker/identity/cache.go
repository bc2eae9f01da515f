package identity

import (
	"container/list"
	"sync"
	"time"
)

// tokenCache remembers verified tokens by the SHA-256 of the raw token, so
// that a token seen again (a retried or duplicated message) skips the
// signature check. An entry never outlives its token's expiry (plus skew)
// nor the cache TTL; the least recently used entry is evicted when full.
type tokenCache struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	lru   *list.List // of *cacheEntry, most recent first
	items map[[32]byte]*list.Element
}

type cacheEntry struct {
	key   [32]byte
	p     Principal
	kid   string
	until time.Time // the entry is dropped at or after until
}

func newTokenCache(size int, ttl time.Duration) *tokenCache {
	if size <= 0 {
		return nil
	}
	return &tokenCache{size: size, ttl: ttl, lru: list.New(), items: make(map[[32]byte]*list.Element)}
}

// get returns the cached entry for key if it is still valid at now.
func (c *tokenCache) get(key [32]byte, now time.Time) (*cacheEntry, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.until) {
		c.lru.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e, true
}

// put caches p until expires (the token's exp plus skew), at most ttl.
func (c *tokenCache) put(key [32]byte, p Principal, kid string, expires, now time.Time) {
	if c == nil {
		return
	}
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value = &cacheEntry{key: key, p: p, kid: kid, until: until}
		c.lru.MoveToFront(el)
		return
	}
	for c.lru.Len() >= c.size {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
	c.items[key] = c.lru.PushFront(&cacheEntry{key: key, p: p, kid: kid, until: until})
}

// drop removes key.
func (c *tokenCache) drop(key [32]byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.lru.Remove(el)
		delete(c.items, key)
	}
}

// len reports the number of entries (for tests).
func (c *tokenCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
