package identity

import (
	"context"
	"crypto"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
)

func TestCache(t *testing.T) {
	ti := newTestIssuer(t)
	k := testKeys()
	v, clk := newTestVerifier(t, ti, nil)
	raw := sign(t, map[string]any{"alg": "RS256", "kid": "rsa-1"}, with(ti.claims(t0), "exp", t0.Add(2*time.Minute).Unix()), k.rsa)
	first, err := v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	if v.cache.len() != 1 {
		t.Fatalf("cache holds %d entries, want 1", v.cache.len())
	}
	first.Groups = append(first.Groups, "mutated")
	first.Claims["sub"] = "mutated"
	second, err := v.Verify(context.Background(), raw)
	if err != nil || second.Claims["sub"] != "u-1001" || len(second.Groups) != 0 {
		t.Fatalf("cached Verify() = %+v, %v; want an unmodified principal", second, err)
	}

	clk.advance(2*time.Minute + DefaultClockSkew) // exp + skew: the cached token is dead
	if _, err := v.Verify(context.Background(), raw); fault.ReasonOf(err) != ReasonExpired {
		t.Errorf("Verify(cached, expired) = %v, want %s", err, ReasonExpired)
	}
	if v.cache.len() != 0 {
		t.Errorf("cache holds %d entries after expiry, want 0", v.cache.len())
	}
}

func TestCacheDropsRotatedKey(t *testing.T) {
	ti := newTestIssuer(t)
	k := testKeys()
	v, clk := newTestVerifier(t, ti, nil)
	raw := sign(t, map[string]any{"alg": "RS256", "kid": "rsa-1"}, ti.claims(t0), k.rsa)
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	// The issuer revokes rsa-1; the next refresh (triggered by a new key id)
	// drops it, and the cached token must not outlive it.
	ti.publish(map[string]crypto.Signer{"rsa-2": k.rsa2})
	clk.advance(DefaultRefreshInterval + DefaultClockSkew) // the refresh is clearly after raw was issued
	if _, err := v.Verify(context.Background(), sign(t, map[string]any{"alg": "RS256", "kid": "rsa-2"}, ti.claims(t0), k.rsa2)); err != nil {
		t.Fatalf("Verify(rsa-2) = %v", err)
	}
	if _, err := v.Verify(context.Background(), raw); fault.ReasonOf(err) != ReasonUnknownKey {
		t.Errorf("Verify(cached token of a revoked key) = %v, want %s", err, ReasonUnknownKey)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newTokenCache(2, time.Hour)
	exp := t0.Add(time.Hour)
	for i := range 3 {
		c.put([32]byte{byte(i)}, Principal{ID: string(rune('a' + i))}, "k", exp, t0)
	}
	if c.len() != 2 {
		t.Errorf("len() = %d, want 2", c.len())
	}
	if _, ok := c.get([32]byte{0}, t0); ok {
		t.Errorf("get(oldest) found an evicted entry")
	}
	if _, ok := c.get([32]byte{2}, t0.Add(time.Hour)); ok {
		t.Errorf("get() at expiry found the entry")
	}
	c.put([32]byte{9}, Principal{}, "k", t0, t0) // already expired: not cached
	if _, ok := c.get([32]byte{9}, t0); ok {
		t.Errorf("get() found an entry put after its expiry")
	}
	if newTokenCache(-1, time.Hour) != nil {
		t.Errorf("newTokenCache(-1) != nil, want a disabled cache")
	}
}
