package decision

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/signing"
)

// benchSession returns a decider whose verifier trusts a session issuer
// (discovery and JWKS over HTTP, as workers do), with the directory on,
// and a session token of alice that it approves.
func benchSession(b *testing.B, cacheSize int) (*Decider, string, *ecdsa.PublicKey) {
	srv := httptest.NewServer(nil)
	b.Cleanup(srv.Close)
	signer, err := signing.NewFile(signing.FileConfig{Path: filepath.Join(b.TempDir(), "session.pem"), Create: true})
	if err != nil {
		b.Fatal(err)
	}
	s, err := session.New(context.Background(), session.Config{Issuer: srv.URL + "/session", Audience: "iis", Signer: signer, Now: fixed(t0)})
	if err != nil {
		b.Fatal(err)
	}
	cur, _ := signer.Current(context.Background())
	srv.Config.Handler = s.Handler()
	v, err := identity.New(context.Background(), identity.Config{Issuers: []identity.Issuer{s.Identity()}, Now: fixed(t0), CacheSize: cacheSize})
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Load("testdata/policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture(b, true, 1)
	d := &Decider{Verifier: v, Policy: policy.StaticHolder(pol), Directory: f.dir, Now: fixed(t0)}
	tok, err := s.Issue(context.Background(), session.Claims{UserID: "u1", Email: "alice@example.com", Name: "alice@example.com", IdP: "okta", AuthTime: t0})
	if err != nil {
		b.Fatal(err)
	}
	if out, err := d.Decide(context.Background(), tok.Raw, etlRequest()); err != nil || !out.Allowed() {
		b.Fatalf("Decide(session) = %s, %v; want allowed", out.Reason(), err)
	}
	return d, tok.Raw, cur.Key.(*ecdsa.PublicKey)
}

// BenchmarkDecideSession is the worker's whole decision on a request that
// carries a broker session token (ES256): fresh (cache off: parse and
// signature check every time) and cached. Its budget is a cached ID
// token's decision plus one signature check (BenchmarkES256Verify).
func BenchmarkDecideSession(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cache int
	}{{"cached", 1000}, {"fresh_es256", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			d, raw, _ := benchSession(b, bc.cache)
			req := etlRequest()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if out, err := d.Decide(ctx, raw, req); err != nil || !out.Allowed() {
					b.Fatalf("Decide() = %s, %v", out.Reason(), err)
				}
			}
		})
	}
}

// BenchmarkES256Verify is the bare signature check of a session token:
// SHA-256 of the signing input and ecdsa.Verify.
func BenchmarkES256Verify(b *testing.B) {
	_, raw, pub := benchSession(b, -1)
	i := strings.LastIndexByte(raw, '.')
	sig, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
	if err != nil || len(sig) != 64 {
		b.Fatalf("signature: %d bytes, %v", len(sig), err)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(raw[:i]))
		if !ecdsa.Verify(pub, h[:], r, s) {
			b.Fatal("does not verify")
		}
	}
}

// BenchmarkJWSVerify is the signature check as a JOSE library does it on a
// compact token: parse the JWS (base64url and its JSON header), then
// SHA-256 and ecdsa.Verify (go-jose, which go-oidc uses).
func BenchmarkJWSVerify(b *testing.B) {
	_, raw, pub := benchSession(b, -1)
	b.ReportAllocs()
	for b.Loop() {
		jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}
