package session

import (
	"context"
	"testing"
	"time"
)

// BenchmarkIssue is signing one session token with a key file; with
// Cloud KMS, one AsymmetricSign round trip replaces the local signature
// (BenchmarkIssueKMS measures it against the local KMS server).
func BenchmarkIssue(b *testing.B) {
	s, err := New(context.Background(), Config{Issuer: "https://iis.example.com/session", Audience: "iis", Signer: newSigner(b)})
	if err != nil {
		b.Fatal(err)
	}
	c := alice
	c.AuthTime = time.Now()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}
