package session

import (
	"context"
	"testing"
	"time"
)

// BenchmarkIssue is signing one session token with a key in memory (a key
// file); with Cloud KMS add one AsymmetricSign round trip.
func BenchmarkIssue(b *testing.B) {
	s, err := New(Config{Issuer: "https://iis.example.com/session", Audience: "iis", Signer: newSigner(b)})
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
