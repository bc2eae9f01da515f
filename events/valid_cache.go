package events

import (
	"crypto/sha256"
	"sync"
)

// validated remembers data that passed its type's schema in this process,
// so that an event the broker built (validated by New) is not validated
// again, byte for byte the same, when the audit log and the outbox encode
// it: schema validation is the largest cost of emitting an event. Only a
// success is remembered, under the type and the SHA-256 of the exact
// bytes, so a change to either is validated afresh.
var validated = validCache{m: map[[sha256.Size]byte]struct{}{}}

// validCacheSize bounds the memo; it is emptied when full.
const validCacheSize = 4096

type validCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]struct{}
}

func validKey(typ string, data []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write(data)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

func (c *validCache) has(k [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[k]
	return ok
}

func (c *validCache) add(k [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= validCacheSize {
		clear(c.m)
	}
	c.m[k] = struct{}{}
}

// reset forgets every entry (benchmarks of fresh validation).
func (c *validCache) reset() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
