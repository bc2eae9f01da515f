package iamserver

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

// tokenPrefix marks the tokens this server mints, so that one pasted into the
// wrong place is recognisable as a local development token.
const tokenPrefix = "iisdev."

// sweepEvery is how often (in server clock time) expired entries are dropped.
const sweepEvery = time.Minute

// grant is what a minted token stands for. The token itself is not kept.
type grant struct {
	sa      string
	scopes  []string
	expires time.Time
}

// table maps the SHA-256 of each live token to its grant.
type table struct {
	mu        sync.Mutex
	grants    map[[32]byte]grant
	lastSweep time.Time
}

func newTable() *table { return &table{grants: make(map[[32]byte]grant)} }

// mint creates a fresh random token for g and records its hash.
func (t *table) mint(now time.Time, g grant) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	g.scopes = slices.Clone(g.scopes)
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.lastSweep) >= sweepEvery {
		for h, old := range t.grants {
			if !now.Before(old.expires) {
				delete(t.grants, h)
			}
		}
		t.lastSweep = now
	}
	t.grants[sha256.Sum256([]byte(token))] = g
	return token, nil
}

// lookup returns the grant of token if it was minted here and has not expired at now.
func (t *table) lookup(now time.Time, token string) (grant, bool) {
	h := sha256.Sum256([]byte(token))
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.grants[h]
	if !ok || !now.Before(g.expires) {
		return grant{}, false
	}
	g.scopes = slices.Clone(g.scopes)
	return g, true
}

// live counts the grants not yet swept (expired ones included until the next sweep).
func (t *table) live() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.grants)
}
