package signing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	kms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/internal/kmsserver"
)

const (
	ecKey = "projects/p/locations/global/keyRings/iis/cryptoKeys/checkpoints"
	edKey = "projects/p/locations/global/keyRings/iis/cryptoKeys/sessions"
)

func startKMS(t *testing.T, interceptors ...grpc.UnaryServerInterceptor) *kms.KeyManagementClient {
	t.Helper()
	srv, err := kmsserver.Start(context.Background(), "127.0.0.1:0", kmsserver.Config{
		Keys:         []kmsserver.Key{{Name: ecKey}, {Name: edKey, Algorithm: kmspb.CryptoKeyVersion_EC_SIGN_ED25519}},
		Interceptors: interceptors,
	})
	if err != nil {
		t.Fatalf("kmsserver.Start() = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := signing.NewKMSClient(context.Background(), signing.ClientConfig{Endpoint: srv.Addr(), Insecure: true})
	if err != nil {
		t.Fatalf("NewKMSClient() = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newKMS(t *testing.T, c *kms.KeyManagementClient, cfg signing.KMSConfig) *signing.KMS {
	t.Helper()
	s, err := signing.NewKMS(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("NewKMS(%+v) = %v", cfg, err)
	}
	return s
}

func TestKMSSignsAndVerifies(t *testing.T) {
	c := startKMS(t)
	for _, key := range []string{ecKey, edKey} {
		t.Run(key, func(t *testing.T) {
			s := newKMS(t, c, signing.KMSConfig{Key: key})
			checkSignVerify(t, s, key+"/cryptoKeyVersions/1")
		})
	}
}

// checkSignVerify signs through s and verifies through s, as a verifier
// that knows only the key would.
func checkSignVerify(t *testing.T, s interface {
	signing.Signer
	signing.Verifier
}, wantKeyID string) {
	t.Helper()
	ctx := context.Background()
	msg := []byte(`{"seq":42,"head":"ab"}`)
	sig, err := s.Sign(ctx, msg)
	if err != nil {
		t.Fatalf("Sign() = %v", err)
	}
	if sig.KeyID != wantKeyID {
		t.Errorf("Sign() key id = %s, want %s", sig.KeyID, wantKeyID)
	}
	if err := signing.Verify(ctx, s, msg, sig); err != nil {
		t.Errorf("Verify(signed message) = %v", err)
	}
	if err := signing.Verify(ctx, s, append(msg, ' '), sig); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("Verify(changed message) = %v, want ErrBadSignature", err)
	}
	forged := sig
	last := "9"
	if strings.HasSuffix(wantKeyID, last) {
		last = "8"
	}
	forged.KeyID = wantKeyID[:len(wantKeyID)-1] + last
	if err := signing.Verify(ctx, s, msg, forged); err == nil {
		t.Error("Verify(signature claiming another version) = nil, want an error")
	}
	jws, err := sig.JWS()
	if err != nil {
		t.Fatalf("JWS() = %v", err)
	}
	cur, err := s.Current(ctx)
	if err != nil {
		t.Fatalf("Current() = %v", err)
	}
	if len(jws) != 64 {
		t.Errorf("JWS() is %d bytes, want 64", len(jws))
	}
	if err := cur.VerifyJWS(msg, jws); err != nil {
		t.Errorf("VerifyJWS(JWS()) = %v", err)
	}
	if cur.Algorithm == signing.ECP256SHA256 {
		if cur.Algorithm.JWA() != "ES256" {
			t.Errorf("JWA() = %q, want ES256", cur.Algorithm.JWA())
		}
		d, err := s.SignDigest(ctx, make([]byte, 32))
		if err != nil || d.KeyID != wantKeyID {
			t.Errorf("SignDigest() = %v, %v", d, err)
		}
	} else if _, err := s.SignDigest(ctx, make([]byte, 32)); !errors.Is(err, signing.ErrDigestUnsupported) {
		t.Errorf("SignDigest(Ed25519) = %v, want ErrDigestUnsupported", err)
	}
}

func TestKMSRotation(t *testing.T) {
	c := startKMS(t)
	ctx := context.Background()
	s := newKMS(t, c, signing.KMSConfig{Key: ecKey, Refresh: time.Hour})
	old, err := s.Sign(ctx, []byte("before"))
	if err != nil {
		t.Fatalf("Sign() = %v", err)
	}
	v2, err := c.CreateCryptoKeyVersion(ctx, &kmspb.CreateCryptoKeyVersionRequest{Parent: ecKey})
	if err != nil {
		t.Fatalf("CreateCryptoKeyVersion() = %v", err)
	}
	// Disabling version 1 makes the cached choice fail: the signer lists
	// again and moves to version 2 without waiting for the refresh.
	if _, err := c.UpdateCryptoKeyVersion(ctx, &kmspb.UpdateCryptoKeyVersionRequest{
		CryptoKeyVersion: &kmspb.CryptoKeyVersion{Name: ecKey + "/cryptoKeyVersions/1", State: kmspb.CryptoKeyVersion_DISABLED},
		UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
		t.Fatalf("UpdateCryptoKeyVersion() = %v", err)
	}
	sig, err := s.Sign(ctx, []byte("after"))
	if err != nil || sig.KeyID != v2.GetName() {
		t.Fatalf("Sign(after rotation) = %v, %v; want a signature by %s", sig, err, v2.GetName())
	}
	if err := signing.Verify(ctx, s, []byte("before"), old); err != nil {
		t.Errorf("Verify(old signature, old key cached) = %v", err)
	}
	keys, err := s.PublicKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].KeyID != v2.GetName() {
		t.Errorf("PublicKeys() = %v, %v; want only version 2 (version 1 is disabled)", keys, err)
	}

	// A new version is picked up after the refresh period.
	fast := newKMS(t, c, signing.KMSConfig{Key: ecKey, Refresh: time.Nanosecond})
	v3, err := c.CreateCryptoKeyVersion(ctx, &kmspb.CreateCryptoKeyVersionRequest{Parent: ecKey})
	if err != nil {
		t.Fatalf("CreateCryptoKeyVersion() = %v", err)
	}
	if cur, err := fast.Current(ctx); err != nil || cur.KeyID != v3.GetName() {
		t.Errorf("Current() = %v, %v; want %s", cur.KeyID, err, v3.GetName())
	}
	if keys, _ := fast.PublicKeys(ctx); len(keys) != 2 {
		t.Errorf("PublicKeys() = %d keys, want versions 2 and 3", len(keys))
	}
}

func TestKMSPinnedVersion(t *testing.T) {
	c := startKMS(t)
	ctx := context.Background()
	if _, err := c.CreateCryptoKeyVersion(ctx, &kmspb.CreateCryptoKeyVersionRequest{Parent: ecKey}); err != nil {
		t.Fatalf("CreateCryptoKeyVersion() = %v", err)
	}
	s := newKMS(t, c, signing.KMSConfig{Key: ecKey + "/cryptoKeyVersions/1"})
	checkSignVerify(t, s, ecKey+"/cryptoKeyVersions/1")
	if _, err := s.PublicKey(ctx, edKey+"/cryptoKeyVersions/1"); !errors.Is(err, signing.ErrUnknownKey) {
		t.Errorf("PublicKey(another key's version) = %v, want ErrUnknownKey", err)
	}
}

func TestKMSConfigErrors(t *testing.T) {
	c := startKMS(t)
	for _, key := range []string{"", "projects/p/locations/l/keyRings/r", ecKey + "/cryptoKeyVersions/0", "keyfile:abc"} {
		if _, err := signing.NewKMS(context.Background(), c, signing.KMSConfig{Key: key}); err == nil {
			t.Errorf("NewKMS(%q) = nil error, want one", key)
		}
	}
	_, err := signing.NewKMS(context.Background(), c, signing.KMSConfig{Key: "projects/p/locations/global/keyRings/iis/cryptoKeys/none"})
	if !fault.IsPermanent(err) {
		t.Errorf("NewKMS(missing key) = %v, want a permanent error", err)
	}
	if err := (signing.ClientConfig{Insecure: true}).Validate(); err == nil {
		t.Error("ClientConfig{Insecure without Endpoint}.Validate() = nil, want an error")
	}
}

// TestKMSIntegrityChecks corrupts the server's answers on the wire: the
// signer must refuse each, as Google's integrity guide says.
func TestKMSIntegrityChecks(t *testing.T) {
	tests := []struct {
		name   string
		change func(resp any)
	}{
		{"signature checksum", func(r any) {
			if s, ok := r.(*kmspb.AsymmetricSignResponse); ok {
				s.Signature[0] ^= 1
			}
		}},
		{"request checksum not verified", func(r any) {
			if s, ok := r.(*kmspb.AsymmetricSignResponse); ok {
				s.VerifiedDigestCrc32C = false
			}
		}},
		{"another version signed", func(r any) {
			if s, ok := r.(*kmspb.AsymmetricSignResponse); ok {
				s.Name = ecKey + "/cryptoKeyVersions/7"
			}
		}},
		{"public key checksum", func(r any) {
			if p, ok := r.(*kmspb.PublicKey); ok {
				p.PemCrc32C = wrapperspb.Int64(p.GetPemCrc32C().GetValue() + 1)
			}
		}},
		{"public key of another version", func(r any) {
			if p, ok := r.(*kmspb.PublicKey); ok {
				p.Name = ecKey + "/cryptoKeyVersions/7"
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startKMS(t, func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				resp, err := h(ctx, req)
				if err == nil {
					tt.change(resp)
				}
				return resp, err
			})
			s, err := signing.NewKMS(context.Background(), c, signing.KMSConfig{Key: ecKey})
			if err == nil {
				_, err = s.Sign(context.Background(), []byte("m"))
			}
			if err == nil {
				t.Fatal("a corrupted answer was accepted")
			}
		})
	}
}

func TestOpen(t *testing.T) {
	srv, err := kmsserver.Start(context.Background(), "127.0.0.1:0", kmsserver.Config{Keys: []kmsserver.Key{{Name: ecKey}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	k, closeFn, err := signing.Open(context.Background(), ecKey, signing.OpenConfig{KMS: signing.ClientConfig{Endpoint: srv.Addr(), Insecure: true}})
	if err != nil {
		t.Fatalf("Open(KMS key) = %v", err)
	}
	defer closeFn()
	if _, ok := k.(*signing.KMS); !ok {
		t.Errorf("Open(%s) = %T, want *signing.KMS", ecKey, k)
	}
	path := t.TempDir() + "/k.pem"
	if _, _, err := signing.Open(context.Background(), path, signing.OpenConfig{}); err == nil {
		t.Error("Open(missing key file) = nil error, want one")
	}
	f, _, err := signing.Open(context.Background(), path, signing.OpenConfig{CreateFile: true})
	if _, ok := f.(*signing.File); err != nil || !ok {
		t.Errorf("Open(key file, create) = %T, %v", f, err)
	}
}
