package kmsserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"sync"
	"testing"
	"time"

	kms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	ring   = "projects/p/locations/global/keyRings/iis"
	ecKey  = ring + "/cryptoKeys/checkpoints"
	edKey  = ring + "/cryptoKeys/sessions"
	ecVer1 = ecKey + "/cryptoKeyVersions/1"
	edVer1 = edKey + "/cryptoKeyVersions/1"
)

type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func start(t *testing.T, cfg Config) (*Server, *kms.KeyManagementClient) {
	t.Helper()
	ctx := context.Background()
	srv, err := Start(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := kms.NewKeyManagementClient(ctx,
		option.WithEndpoint(srv.Addr()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatalf("NewKeyManagementClient() = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func bothKeys() []Key {
	return []Key{{Name: ecKey}, {Name: edKey, Algorithm: kmspb.CryptoKeyVersion_EC_SIGN_ED25519}}
}

func publicKey(t *testing.T, c *kms.KeyManagementClient, name string) any {
	t.Helper()
	pk, err := c.GetPublicKey(context.Background(), &kmspb.GetPublicKeyRequest{Name: name})
	if err != nil {
		t.Fatalf("GetPublicKey(%s) = %v", name, err)
	}
	if got, want := pk.GetPemCrc32C().GetValue(), crc32c([]byte(pk.GetPem())).GetValue(); got != want {
		t.Fatalf("GetPublicKey(%s) pem_crc32c = %d, want %d", name, got, want)
	}
	if pk.GetName() != name {
		t.Fatalf("GetPublicKey(%s) name = %s", name, pk.GetName())
	}
	block, _ := pem.Decode([]byte(pk.GetPem()))
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("GetPublicKey(%s) pem = %q, want a PUBLIC KEY block", name, pk.GetPem())
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("ParsePKIXPublicKey = %v", err)
	}
	return pub
}

func signDigest(c *kms.KeyManagementClient, name string, msg []byte) (*kmspb.AsymmetricSignResponse, error) {
	d := sha256.Sum256(msg)
	return c.AsymmetricSign(context.Background(), &kmspb.AsymmetricSignRequest{
		Name:         name,
		Digest:       &kmspb.Digest{Digest: &kmspb.Digest_Sha256{Sha256: d[:]}},
		DigestCrc32C: crc32c(d[:]),
	})
}

func TestSignP256(t *testing.T) {
	_, c := start(t, Config{Keys: bothKeys()})
	pub := publicKey(t, c, ecVer1).(*ecdsa.PublicKey)
	msg := []byte("checkpoint 1")
	resp, err := signDigest(c, ecVer1, msg)
	if err != nil {
		t.Fatalf("AsymmetricSign() = %v", err)
	}
	d := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, d[:], resp.GetSignature()) {
		t.Error("the signature does not verify with the version's public key")
	}
	if !resp.GetVerifiedDigestCrc32C() || resp.GetVerifiedDataCrc32C() {
		t.Errorf("verified digest/data = %v/%v, want true/false", resp.GetVerifiedDigestCrc32C(), resp.GetVerifiedDataCrc32C())
	}
	if resp.GetSignatureCrc32C().GetValue() != crc32c(resp.GetSignature()).GetValue() || resp.GetName() != ecVer1 {
		t.Errorf("signature_crc32c/name = %v/%s, want the signature's checksum and %s", resp.GetSignatureCrc32C(), resp.GetName(), ecVer1)
	}
}

func TestSignEd25519(t *testing.T) {
	_, c := start(t, Config{Keys: bothKeys()})
	pub := publicKey(t, c, edVer1).(ed25519.PublicKey)
	msg := []byte("header.payload")
	resp, err := c.AsymmetricSign(context.Background(), &kmspb.AsymmetricSignRequest{
		Name: edVer1, Data: msg, DataCrc32C: crc32c(msg)})
	if err != nil {
		t.Fatalf("AsymmetricSign() = %v", err)
	}
	if !ed25519.Verify(pub, msg, resp.GetSignature()) {
		t.Error("the signature does not verify")
	}
	if !resp.GetVerifiedDataCrc32C() {
		t.Error("verified_data_crc32c = false, want true")
	}
}

func TestSignRefusals(t *testing.T) {
	_, c := start(t, Config{Keys: bothKeys()})
	d := sha256.Sum256([]byte("x"))
	digest := &kmspb.Digest{Digest: &kmspb.Digest_Sha256{Sha256: d[:]}}
	tests := []struct {
		name string
		req  *kmspb.AsymmetricSignRequest
		code codes.Code
	}{
		{"digest checksum wrong", &kmspb.AsymmetricSignRequest{Name: ecVer1, Digest: digest, DigestCrc32C: wrapperspb.Int64(1)}, codes.InvalidArgument},
		{"data for a P-256 key", &kmspb.AsymmetricSignRequest{Name: ecVer1, Data: []byte("x")}, codes.InvalidArgument},
		{"SHA-384 digest for a SHA-256 key", &kmspb.AsymmetricSignRequest{Name: ecVer1,
			Digest: &kmspb.Digest{Digest: &kmspb.Digest_Sha384{Sha384: make([]byte, 48)}}}, codes.InvalidArgument},
		{"short digest", &kmspb.AsymmetricSignRequest{Name: ecVer1,
			Digest: &kmspb.Digest{Digest: &kmspb.Digest_Sha256{Sha256: d[:16]}}}, codes.InvalidArgument},
		{"digest and data", &kmspb.AsymmetricSignRequest{Name: ecVer1, Digest: digest, Data: []byte("x")}, codes.InvalidArgument},
		{"digest for an Ed25519 key", &kmspb.AsymmetricSignRequest{Name: edVer1, Digest: digest}, codes.InvalidArgument},
		{"data checksum wrong", &kmspb.AsymmetricSignRequest{Name: edVer1, Data: []byte("x"), DataCrc32C: wrapperspb.Int64(7)}, codes.InvalidArgument},
		{"no data", &kmspb.AsymmetricSignRequest{Name: edVer1}, codes.InvalidArgument},
		{"unknown version", &kmspb.AsymmetricSignRequest{Name: ecKey + "/cryptoKeyVersions/9", Digest: digest}, codes.NotFound},
		{"unknown key", &kmspb.AsymmetricSignRequest{Name: ring + "/cryptoKeys/nope/cryptoKeyVersions/1", Digest: digest}, codes.NotFound},
		{"malformed name", &kmspb.AsymmetricSignRequest{Name: "projects/p/cryptoKeyVersions/1", Digest: digest}, codes.InvalidArgument},
		{"version 0", &kmspb.AsymmetricSignRequest{Name: ecKey + "/cryptoKeyVersions/0", Digest: digest}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AsymmetricSign(context.Background(), tt.req)
			if got := status.Code(err); got != tt.code {
				t.Errorf("AsymmetricSign(%v) code = %v, want %v (%v)", tt.req, got, tt.code, err)
			}
		})
	}
}

func TestRotationLifecycle(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	_, c := start(t, Config{Keys: bothKeys(), Clock: clock})
	ctx := context.Background()

	v2, err := c.CreateCryptoKeyVersion(ctx, &kmspb.CreateCryptoKeyVersionRequest{Parent: ecKey})
	if err != nil || v2.GetName() != ecKey+"/cryptoKeyVersions/2" || v2.GetState() != kmspb.CryptoKeyVersion_ENABLED {
		t.Fatalf("CreateCryptoKeyVersion() = %v, %v; want version 2 ENABLED", v2, err)
	}
	if pub1, pub2 := publicKey(t, c, ecVer1).(*ecdsa.PublicKey), publicKey(t, c, v2.GetName()).(*ecdsa.PublicKey); pub1.Equal(pub2) {
		t.Error("version 2 has the key of version 1")
	}
	_, err = c.UpdateCryptoKeyPrimaryVersion(ctx, &kmspb.UpdateCryptoKeyPrimaryVersionRequest{Name: ecKey, CryptoKeyVersionId: "2"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("UpdateCryptoKeyPrimaryVersion(asymmetric key) = %v, want FailedPrecondition as the real API", err)
	}

	disabled, err := c.UpdateCryptoKeyVersion(ctx, &kmspb.UpdateCryptoKeyVersionRequest{
		CryptoKeyVersion: &kmspb.CryptoKeyVersion{Name: ecVer1, State: kmspb.CryptoKeyVersion_DISABLED},
		UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"state"}}})
	if err != nil || disabled.GetState() != kmspb.CryptoKeyVersion_DISABLED {
		t.Fatalf("UpdateCryptoKeyVersion(DISABLED) = %v, %v", disabled, err)
	}
	if _, err := signDigest(c, ecVer1, []byte("m")); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("AsymmetricSign(disabled) = %v, want FailedPrecondition", err)
	}
	if _, err := c.GetPublicKey(ctx, &kmspb.GetPublicKeyRequest{Name: ecVer1}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("GetPublicKey(disabled) = %v, want FailedPrecondition", err)
	}
	if _, err := signDigest(c, v2.GetName(), []byte("m")); err != nil {
		t.Errorf("AsymmetricSign(version 2) = %v", err)
	}

	if got := listNames(t, c, ecKey, "state=ENABLED", 0); len(got) != 1 || got[0] != v2.GetName() {
		t.Errorf("ListCryptoKeyVersions(state=ENABLED) = %v, want [version 2]", got)
	}

	sched, err := c.DestroyCryptoKeyVersion(ctx, &kmspb.DestroyCryptoKeyVersionRequest{Name: ecVer1})
	if err != nil || sched.GetState() != kmspb.CryptoKeyVersion_DESTROY_SCHEDULED ||
		!sched.GetDestroyTime().AsTime().Equal(clock.Now().Add(defaultDestroyAfter)) {
		t.Fatalf("DestroyCryptoKeyVersion() = %v, %v; want DESTROY_SCHEDULED in 30 days", sched, err)
	}
	restored, err := c.RestoreCryptoKeyVersion(ctx, &kmspb.RestoreCryptoKeyVersionRequest{Name: ecVer1})
	if err != nil || restored.GetState() != kmspb.CryptoKeyVersion_DISABLED || restored.GetDestroyTime() != nil {
		t.Fatalf("RestoreCryptoKeyVersion() = %v, %v; want DISABLED", restored, err)
	}
	if _, err := c.DestroyCryptoKeyVersion(ctx, &kmspb.DestroyCryptoKeyVersionRequest{Name: ecVer1}); err != nil {
		t.Fatalf("DestroyCryptoKeyVersion() = %v", err)
	}
	clock.Advance(defaultDestroyAfter)
	gone, err := c.GetCryptoKeyVersion(ctx, &kmspb.GetCryptoKeyVersionRequest{Name: ecVer1})
	if err != nil || gone.GetState() != kmspb.CryptoKeyVersion_DESTROYED || gone.GetDestroyEventTime() == nil {
		t.Fatalf("GetCryptoKeyVersion(after the schedule) = %v, %v; want DESTROYED", gone, err)
	}
	if _, err := c.RestoreCryptoKeyVersion(ctx, &kmspb.RestoreCryptoKeyVersionRequest{Name: ecVer1}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("RestoreCryptoKeyVersion(destroyed) = %v, want FailedPrecondition", err)
	}
	_, err = c.UpdateCryptoKeyVersion(ctx, &kmspb.UpdateCryptoKeyVersionRequest{
		CryptoKeyVersion: &kmspb.CryptoKeyVersion{Name: ecVer1, State: kmspb.CryptoKeyVersion_ENABLED},
		UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"state"}}})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("UpdateCryptoKeyVersion(destroyed -> ENABLED) = %v, want FailedPrecondition", err)
	}
}

func listNames(t *testing.T, c *kms.KeyManagementClient, key, filter string, pageSize int32) []string {
	t.Helper()
	it := c.ListCryptoKeyVersions(context.Background(), &kmspb.ListCryptoKeyVersionsRequest{Parent: key, Filter: filter, PageSize: pageSize})
	var names []string
	for {
		v, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return names
		}
		if err != nil {
			t.Fatalf("ListCryptoKeyVersions(%q) = %v", filter, err)
		}
		names = append(names, v.GetName())
	}
}

func TestListPagesAndFilters(t *testing.T) {
	_, c := start(t, Config{Keys: bothKeys()})
	ctx := context.Background()
	for range 4 {
		if _, err := c.CreateCryptoKeyVersion(ctx, &kmspb.CreateCryptoKeyVersionRequest{Parent: ecKey}); err != nil {
			t.Fatalf("CreateCryptoKeyVersion() = %v", err)
		}
	}
	if _, err := c.DestroyCryptoKeyVersion(ctx, &kmspb.DestroyCryptoKeyVersionRequest{Name: ecKey + "/cryptoKeyVersions/3"}); err != nil {
		t.Fatalf("DestroyCryptoKeyVersion() = %v", err)
	}
	if got := listNames(t, c, ecKey, "", 2); len(got) != 5 || got[4] != ecKey+"/cryptoKeyVersions/5" {
		t.Errorf("ListCryptoKeyVersions(pages of 2) = %v, want versions 1..5", got)
	}
	if got := listNames(t, c, ecKey, `state != "DESTROY_SCHEDULED"`, 0); len(got) != 4 {
		t.Errorf("ListCryptoKeyVersions(!= DESTROY_SCHEDULED) = %v, want 4 versions", got)
	}
	it := c.ListCryptoKeyVersions(ctx, &kmspb.ListCryptoKeyVersionsRequest{Parent: ecKey, Filter: "algorithm=X"})
	if _, err := it.Next(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("ListCryptoKeyVersions(unserved filter) = %v, want InvalidArgument", err)
	}
}

func TestCreateKeysThroughTheAPI(t *testing.T) {
	_, c := start(t, Config{})
	ctx := context.Background()
	parent := "projects/p/locations/europe-west1"
	if _, err := c.CreateKeyRing(ctx, &kmspb.CreateKeyRingRequest{Parent: parent, KeyRingId: "r"}); err != nil {
		t.Fatalf("CreateKeyRing() = %v", err)
	}
	if _, err := c.CreateKeyRing(ctx, &kmspb.CreateKeyRingRequest{Parent: parent, KeyRingId: "r"}); status.Code(err) != codes.AlreadyExists {
		t.Errorf("CreateKeyRing(again) = %v, want AlreadyExists", err)
	}
	if _, err := c.GetKeyRing(ctx, &kmspb.GetKeyRingRequest{Name: parent + "/keyRings/r"}); err != nil {
		t.Errorf("GetKeyRing() = %v", err)
	}
	sign := &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN,
		VersionTemplate:          &kmspb.CryptoKeyVersionTemplate{Algorithm: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256},
		DestroyScheduledDuration: durationpb.New(48 * time.Hour)}
	tests := []struct {
		name   string
		parent string
		id     string
		key    *kmspb.CryptoKey
		code   codes.Code
	}{
		{"P-256", parent + "/keyRings/r", "k", sign, codes.OK},
		{"again", parent + "/keyRings/r", "k", sign, codes.AlreadyExists},
		{"no key ring", parent + "/keyRings/none", "k", sign, codes.NotFound},
		{"bad id", parent + "/keyRings/r", "a b", sign, codes.InvalidArgument},
		{"no algorithm", parent + "/keyRings/r", "k2", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN}, codes.InvalidArgument},
		{"RSA not served", parent + "/keyRings/r", "k3", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN,
			VersionTemplate: &kmspb.CryptoKeyVersionTemplate{Algorithm: kmspb.CryptoKeyVersion_RSA_SIGN_PSS_2048_SHA256}}, codes.InvalidArgument},
		{"symmetric not served", parent + "/keyRings/r", "k4", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ENCRYPT_DECRYPT}, codes.Unimplemented},
		{"destroy schedule under 24h", parent + "/keyRings/r", "k5", &kmspb.CryptoKey{Purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN,
			VersionTemplate:          &kmspb.CryptoKeyVersionTemplate{Algorithm: kmspb.CryptoKeyVersion_EC_SIGN_ED25519},
			DestroyScheduledDuration: durationpb.New(time.Hour)}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateCryptoKey(ctx, &kmspb.CreateCryptoKeyRequest{Parent: tt.parent, CryptoKeyId: tt.id, CryptoKey: tt.key})
			if got := status.Code(err); got != tt.code {
				t.Errorf("CreateCryptoKey(%s) code = %v, want %v (%v)", tt.id, got, tt.code, err)
			}
		})
	}
	got, err := c.GetCryptoKey(ctx, &kmspb.GetCryptoKeyRequest{Name: parent + "/keyRings/r/cryptoKeys/k"})
	if err != nil || got.GetPurpose() != kmspb.CryptoKey_ASYMMETRIC_SIGN || got.GetPrimary() != nil ||
		got.GetDestroyScheduledDuration().AsDuration() != 48*time.Hour {
		t.Errorf("GetCryptoKey() = %v, %v; want ASYMMETRIC_SIGN without a primary, 48h destroy schedule", got, err)
	}
	if _, err := c.GetCryptoKeyVersion(ctx, &kmspb.GetCryptoKeyVersionRequest{Name: parent + "/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1"}); err != nil {
		t.Errorf("GetCryptoKeyVersion(initial version) = %v", err)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv, c := start(t, Config{Dir: dir, Keys: bothKeys()})
	before := publicKey(t, c, ecVer1).(*ecdsa.PublicKey)
	if _, err := c.CreateCryptoKeyVersion(ctx, &kmspb.CreateCryptoKeyVersionRequest{Parent: edKey}); err != nil {
		t.Fatalf("CreateCryptoKeyVersion() = %v", err)
	}
	if _, err := c.DestroyCryptoKeyVersion(ctx, &kmspb.DestroyCryptoKeyVersionRequest{Name: edVer1}); err != nil {
		t.Fatalf("DestroyCryptoKeyVersion() = %v", err)
	}
	srv.Close()

	_, c2 := start(t, Config{Dir: dir, Keys: bothKeys()})
	if after := publicKey(t, c2, ecVer1).(*ecdsa.PublicKey); !after.Equal(before) {
		t.Error("after a restart with the same directory, version 1 has another key")
	}
	v, err := c2.GetCryptoKeyVersion(ctx, &kmspb.GetCryptoKeyVersionRequest{Name: edVer1})
	if err != nil || v.GetState() != kmspb.CryptoKeyVersion_DESTROY_SCHEDULED {
		t.Errorf("GetCryptoKeyVersion(after restart) = %v, %v; want DESTROY_SCHEDULED", v, err)
	}
	if got := listNames(t, c2, edKey, "state=ENABLED", 0); len(got) != 1 || got[0] != edKey+"/cryptoKeyVersions/2" {
		t.Errorf("ListCryptoKeyVersions(after restart) = %v, want [version 2]", got)
	}
	if _, err := signDigest(c2, ecVer1, []byte("m")); err != nil {
		t.Errorf("AsymmetricSign(after restart) = %v", err)
	}
}

func TestStartRefusesAConflictingKey(t *testing.T) {
	dir := t.TempDir()
	srv, _ := start(t, Config{Dir: dir, Keys: []Key{{Name: ecKey}}})
	srv.Close()
	_, err := Start(context.Background(), "127.0.0.1:0", Config{Dir: dir,
		Keys: []Key{{Name: ecKey, Algorithm: kmspb.CryptoKeyVersion_EC_SIGN_ED25519}}})
	if err == nil {
		t.Fatal("Start(same key, other algorithm) = nil, want an error")
	}
	if _, err := Start(context.Background(), "127.0.0.1:0", Config{Keys: []Key{{Name: "keyRings/x"}}}); err == nil {
		t.Error("Start(malformed key name) = nil, want an error")
	}
}
