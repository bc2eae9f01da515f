package identity

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// benchToken returns a verifier (cacheSize: see Config.CacheSize) and a
// realistic RS256 ID token it accepts.
func benchToken(b *testing.B, cacheSize int) (*Verifier, string) {
	ti := newTestIssuer(b)
	v, _ := newTestVerifier(b, ti, func(c *Config) { c.CacheSize = cacheSize })
	claims := with(ti.claims(t0), "groups", []string{"data-eng", "analysts", "all-staff"}, "name", "Alice Example")
	raw := sign(b, map[string]any{"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, claims, testKeys().rsa)
	if _, err := v.Verify(context.Background(), raw); err != nil {
		b.Fatalf("Verify() = %v", err)
	}
	return v, raw
}

// BenchmarkRS256Verify is the baseline: the bare signature check of the
// token (SHA-256 of the signing input and rsa.VerifyPKCS1v15).
func BenchmarkRS256Verify(b *testing.B) {
	_, raw := benchToken(b, -1)
	i := strings.LastIndexByte(raw, '.')
	sig, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &testKeys().rsa.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(raw[:i]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the whole verification of a fresh token (cache off,
// so every iteration parses and checks the signature) and of a cached one.
func BenchmarkVerify(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cache int
	}{{"fresh", -1}, {"cached", DefaultCacheSize}} {
		b.Run(bc.name, func(b *testing.B) {
			v, raw := benchToken(b, bc.cache)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
