package signing_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/signing"
)

func TestFileSignsAndVerifies(t *testing.T) {
	for _, alg := range []signing.Algorithm{signing.ECP256SHA256, signing.Ed25519} {
		t.Run(string(alg), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.pem")
			if err := signing.GenerateKeyFile(path, alg); err != nil {
				t.Fatalf("GenerateKeyFile() = %v", err)
			}
			f, err := signing.NewFile(signing.FileConfig{Path: path})
			if err != nil {
				t.Fatalf("NewFile() = %v", err)
			}
			cur, _ := f.Current(context.Background())
			if cur.Algorithm != alg || !strings.HasPrefix(cur.KeyID, "keyfile:") {
				t.Errorf("Current() = %s %s, want a keyfile: id of %s", cur.KeyID, cur.Algorithm, alg)
			}
			checkSignVerify(t, f, cur.KeyID)
		})
	}
}

func TestFileCreateKeepsTheKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev", "checkpoint-key.pem")
	a, err := signing.NewFile(signing.FileConfig{Path: path, Create: true})
	if err != nil {
		t.Fatalf("NewFile(Create) = %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v; want mode 0600", fi, err)
	}
	b, err := signing.NewFile(signing.FileConfig{Path: path, Create: true})
	if err != nil {
		t.Fatalf("NewFile(again) = %v", err)
	}
	ka, _ := a.Current(context.Background())
	kb, _ := b.Current(context.Background())
	if ka.KeyID != kb.KeyID {
		t.Errorf("the second start made a new key: %s, then %s", ka.KeyID, kb.KeyID)
	}
	if err := signing.GenerateKeyFile(path, signing.ECP256SHA256); !errors.Is(err, os.ErrExist) {
		t.Errorf("GenerateKeyFile(existing) = %v, want ErrExist", err)
	}
}

func TestFileRetiredKeysVerify(t *testing.T) {
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "old.pem"), filepath.Join(dir, "new.pem")
	for _, p := range []string{oldPath, newPath} {
		if err := signing.GenerateKeyFile(p, signing.ECP256SHA256); err != nil {
			t.Fatalf("GenerateKeyFile() = %v", err)
		}
	}
	ctx := context.Background()
	old, err := signing.NewFile(signing.FileConfig{Path: oldPath})
	if err != nil {
		t.Fatalf("NewFile() = %v", err)
	}
	sig, err := old.Sign(ctx, []byte("m"))
	if err != nil {
		t.Fatalf("Sign() = %v", err)
	}
	rotated, err := signing.NewFile(signing.FileConfig{Path: newPath, Retired: []string{oldPath}})
	if err != nil {
		t.Fatalf("NewFile(rotated) = %v", err)
	}
	if err := signing.Verify(ctx, rotated, []byte("m"), sig); err != nil {
		t.Errorf("Verify(old signature, retired key) = %v", err)
	}
	if keys, _ := rotated.PublicKeys(ctx); len(keys) != 2 {
		t.Errorf("PublicKeys() = %d keys, want 2", len(keys))
	}
	fresh, err := signing.NewFile(signing.FileConfig{Path: newPath})
	if err != nil {
		t.Fatalf("NewFile() = %v", err)
	}
	if err := signing.Verify(ctx, fresh, []byte("m"), sig); !errors.Is(err, signing.ErrUnknownKey) {
		t.Errorf("Verify(signature of a key not configured) = %v, want ErrUnknownKey", err)
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	notKey := filepath.Join(dir, "x.pem")
	if err := os.WriteFile(notKey, []byte("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []signing.FileConfig{{}, {Path: filepath.Join(dir, "missing.pem")}, {Path: notKey}} {
		if _, err := signing.NewFile(cfg); err == nil {
			t.Errorf("NewFile(%+v) = nil error, want one", cfg)
		}
	}
}
