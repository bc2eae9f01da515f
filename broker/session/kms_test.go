package session

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/internal/kmsserver"
)

const kmsKey = "projects/iis-dev/locations/europe-west1/keyRings/iis/cryptoKeys/sessions"

// TestKMSSessions: sessions signed by a Cloud KMS key (Google's client
// against the local KMS server) verify at the workers; after a rotation
// the previous version keeps verifying while it is enabled, and once it
// is disabled its tokens are refused.
func TestKMSSessions(t *testing.T) {
	ctx := context.Background()
	srv, err := kmsserver.Start(ctx, "127.0.0.1:0", kmsserver.Config{Keys: []kmsserver.Key{{Name: kmsKey}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := signing.NewKMSClient(ctx, signing.ClientConfig{Endpoint: srv.Addr(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	signer, err := signing.NewKMS(ctx, c, signing.KMSConfig{Key: kmsKey, Refresh: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, v := served(t, signer, &now)
	first, err := s.Issue(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if first.KeyID != kmsKey+"/cryptoKeyVersions/1" {
		t.Errorf("kid = %s, want the CryptoKeyVersion", first.KeyID)
	}
	if _, err := v.Verify(ctx, first.Raw); err != nil {
		t.Fatalf("worker Verify(KMS session) = %v", err)
	}
	v2, err := c.CreateCryptoKeyVersion(ctx, &kmspb.CreateCryptoKeyVersionRequest{Parent: kmsKey})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Issue(ctx, alice)
	if err != nil || second.KeyID != v2.Name {
		t.Fatalf("Issue after rotation = %s, %v; want %s", second.KeyID, err, v2.Name)
	}
	// A fresh worker (empty key cache) trusts both while both are enabled.
	w := workerFor(t, s, &now)
	for name, raw := range map[string]string{"before the rotation": first.Raw, "after": second.Raw} {
		if _, err := w.Verify(ctx, raw); err != nil {
			t.Errorf("worker Verify(%s) = %v", name, err)
		}
	}
	if _, err := c.UpdateCryptoKeyVersion(ctx, &kmspb.UpdateCryptoKeyVersionRequest{
		CryptoKeyVersion: &kmspb.CryptoKeyVersion{Name: kmsKey + "/cryptoKeyVersions/1", State: kmspb.CryptoKeyVersion_DISABLED},
		UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"state"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Verify(ctx, first.Raw); err == nil {
		t.Error("a session of a disabled key version still verifies for refresh")
	}
	if _, err := workerFor(t, s, &now).Verify(ctx, first.Raw); err == nil {
		t.Error("a new worker accepts a session of a disabled key version")
	}
}

// workerFor is a worker's verifier for s with an empty key cache.
func workerFor(t *testing.T, s *Sessions, now *time.Time) *identity.Verifier {
	t.Helper()
	v, err := identity.New(context.Background(), identity.Config{Issuers: []identity.Issuer{s.Identity()}, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// BenchmarkIssueKMS is signing one session token through Google's KMS
// client and the local KMS server (a gRPC round trip on loopback; Cloud
// KMS adds its network latency, some milliseconds).
func BenchmarkIssueKMS(b *testing.B) {
	ctx := context.Background()
	srv, err := kmsserver.Start(ctx, "127.0.0.1:0", kmsserver.Config{Keys: []kmsserver.Key{{Name: kmsKey}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	c, err := signing.NewKMSClient(ctx, signing.ClientConfig{Endpoint: srv.Addr(), Insecure: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	signer, err := signing.NewKMS(ctx, c, signing.KMSConfig{Key: kmsKey})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(ctx, Config{Issuer: "https://iis.example.com/session", Audience: "iis", Signer: signer})
	if err != nil {
		b.Fatal(err)
	}
	cl := alice
	cl.AuthTime = time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue(ctx, cl); err != nil {
			b.Fatal(err)
		}
	}
}
