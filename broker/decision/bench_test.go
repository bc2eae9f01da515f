package decision

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/internal/devissuer"
)

// benchDecide returns a decider (cacheSize: identity.Config.CacheSize) with
// the directory on, and a token of alice that it approves.
func benchDecide(b *testing.B, cacheSize int) (*fixture, string) {
	f := newFixture(b, true, cacheSize)
	raw := mint(b, f.corp, devissuer.TokenRequest{Email: "alice@example.com", Groups: []string{"data-eng", "all-staff"}})
	out, err := f.decider.Decide(context.Background(), raw, etlRequest())
	if err != nil || !out.Allowed() {
		b.Fatalf("Decide() = %s, %v; want allowed", out.Reason(), err)
	}
	return f, raw
}

// BenchmarkDecide is the whole decision path: verify the token (cached, or
// fresh with the cache off), look the principal up in an in-memory
// directory, evaluate the policy; with and without approval rules loaded
// that the request does not match (a routine request must not pay for
// them).
func BenchmarkDecide(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cache int
		rules bool
	}{{"cached/approvals=none", 1000, false}, {"cached/approvals=loaded", 1000, true}, {"fresh_rs256/approvals=none", -1, false}, {"fresh_rs256/approvals=loaded", -1, true}} {
		b.Run(bc.name, func(b *testing.B) {
			f, raw := benchDecide(b, bc.cache)
			if bc.rules {
				f.decider.Policy = policy.StaticHolder(withApprovals(b))
			}
			req := etlRequest()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if out, err := f.decider.Decide(ctx, raw, req); err != nil || !out.Allowed() {
					b.Fatalf("Decide() = %s, %v", out.Reason(), err)
				}
			}
		})
	}
}

// BenchmarkRS256Verify is the baseline of BenchmarkDecide/fresh_rs256: the
// bare signature check of the same token (SHA-256 and rsa.VerifyPKCS1v15).
func BenchmarkRS256Verify(b *testing.B) {
	f, raw := benchDecide(b, -1)
	pub, ok := f.corp.KeySet().Keys[0].Key.(*rsa.PublicKey)
	if !ok {
		b.Fatalf("the dev issuer's first key is %T, want RSA", f.corp.KeySet().Keys[0].Key)
	}
	i := strings.LastIndexByte(raw, '.')
	sig, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(raw[:i]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// withApprovals is testdata/policy.yaml with testdata/approvals.yaml's
// rules, none of which matches etlRequest for alice.
func withApprovals(b *testing.B) *policy.Policy {
	b.Helper()
	base, err := os.ReadFile("testdata/policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	rules, err := os.ReadFile("testdata/approvals.yaml")
	if err != nil {
		b.Fatal(err)
	}
	p, err := policy.Parse("with-approvals.yaml", append(base, rules...))
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Approvals()) != 4 {
		b.Fatalf("approval rules = %v, want 4", p.Approvals())
	}
	return p
}
