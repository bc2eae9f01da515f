package checkpoint_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/kmsserver"
)

// TestSigningInput pins the signed bytes that docs/audit.md documents.
func TestSigningInput(t *testing.T) {
	c := fixed()
	c.Previous = &events.CheckpointRef{Seq: 77, Hash: strings.Repeat("0", 64)}
	c.KeyID, c.Algorithm = "keyfile:0011223344556677", "EC_SIGN_P256_SHA256"
	want := "36:dev.dataproc-iis.audit.checkpoint.v1" + "36:3f6c2b1e-8d4a-4f7b-9c1e-5a2d7b8e9f01" + "3:120" +
		"64:28889bdb9108a1f3c5e7d9b2a4c6e8f0123456789abcdef0fedcba9876543210" + "3:120" +
		"24:2026-12-03T10:15:00.123Z" + "2:77" + "64:" + strings.Repeat("0", 64) +
		"24:keyfile:0011223344556677" + "19:EC_SIGN_P256_SHA256"
	if got := string(checkpoint.SigningInput(c)); got != want {
		t.Errorf("SigningInput() =\n%s\nwant\n%s", got, want)
	}
}

func kmsSigner(t *testing.T, alg kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm) *signing.KMS {
	t.Helper()
	const key = "projects/p/locations/global/keyRings/iis/cryptoKeys/audit-checkpoints"
	srv, err := kmsserver.Start(context.Background(), "127.0.0.1:0", kmsserver.Config{Keys: []kmsserver.Key{{Name: key, Algorithm: alg}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := signing.NewKMSClient(context.Background(), signing.ClientConfig{Endpoint: srv.Addr(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := signing.NewKMS(context.Background(), c, signing.KMSConfig{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerify(t *testing.T) {
	ctx := context.Background()
	signers := map[string]interface {
		signing.Signer
		signing.Verifier
	}{
		"key file":    fileSigner(t),
		"KMS P-256":   kmsSigner(t, kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256),
		"KMS Ed25519": kmsSigner(t, kmspb.CryptoKeyVersion_EC_SIGN_ED25519),
	}
	for name, s := range signers {
		t.Run(name, func(t *testing.T) {
			c, err := checkpoint.Sign(ctx, s, fixed())
			if err != nil {
				t.Fatalf("Sign() = %v", err)
			}
			if err := checkpoint.Verify(ctx, s, c); err != nil {
				t.Fatalf("Verify(signed) = %v", err)
			}
			if _, err := events.NewAuditCheckpointed("//test", c); err != nil {
				t.Errorf("the signed checkpoint does not make a valid event: %v", err)
			}
			tampered := map[string]func(*events.Checkpoint){
				"seq":       func(c *events.Checkpoint) { c.Seq, c.Count = c.Seq+1, c.Count+1 },
				"hash":      func(c *events.Checkpoint) { c.Hash = strings.Repeat("e", 64) },
				"chain":     func(c *events.Checkpoint) { c.ChainID = "00000000-8d4a-4f7b-9c1e-5a2d7b8e9f01" },
				"time":      func(c *events.Checkpoint) { c.Time = c.Time.Add(1) },
				"previous":  func(c *events.Checkpoint) { c.Previous = &events.CheckpointRef{Seq: 1, Hash: c.Hash} },
				"signature": func(c *events.Checkpoint) { c.Signature = base64.StdEncoding.EncodeToString(make([]byte, 64)) },
				"count":     func(c *events.Checkpoint) { c.Count = 7 },
			}
			for what, f := range tampered {
				bad := c
				f(&bad)
				if err := checkpoint.Verify(ctx, s, bad); err == nil {
					t.Errorf("Verify(checkpoint with its %s changed) = nil, want an error", what)
				}
			}
		})
	}
}

// TestVerifyRefusesAnotherKey signs with one key and verifies with
// another: a valid signature by a key that is not the checkpoint key is
// worth nothing.
func TestVerifyRefusesAnotherKey(t *testing.T) {
	ctx := context.Background()
	c, err := checkpoint.Sign(ctx, fileSigner(t), fixed())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Verify(ctx, fileSigner(t), c); !errors.Is(err, signing.ErrUnknownKey) {
		t.Errorf("Verify(signed by another key) = %v, want ErrUnknownKey", err)
	}
	kms := kmsSigner(t, kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)
	forged := c
	forged.KeyID = "projects/p/locations/global/keyRings/iis/cryptoKeys/other/cryptoKeyVersions/1"
	if err := checkpoint.Verify(ctx, kms, forged); !errors.Is(err, signing.ErrUnknownKey) {
		t.Errorf("Verify(naming a version of another KMS key) = %v, want ErrUnknownKey", err)
	}
}
