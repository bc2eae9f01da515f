package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileConfig configures a File signer.
type FileConfig struct {
	// Path is a PEM file holding a PKCS#8 "PRIVATE KEY" (EC P-256 or Ed25519).
	Path string
	// Create generates a P-256 key at Path (mode 0600) if there is no file:
	// for `iis dev`, so that a restart keeps the key.
	Create bool
	// Retired are PEM files of earlier keys (public or private) that still
	// verify but no longer sign.
	Retired []string
}

// Validate reports a configuration that must not be used.
func (c FileConfig) Validate() error {
	if c.Path == "" {
		return errors.New("signing: key file path is empty")
	}
	return nil
}

// File signs with a private key read from a file: for development. Its key
// id is "keyfile:" and the first 16 hex digits of the SHA-256 of the public
// key's DER, so a rotated file gets a new id.
type File struct {
	priv    crypto.Signer
	current PublicKey
	all     []PublicKey
}

var (
	_ Signer   = (*File)(nil)
	_ Verifier = (*File)(nil)
)

// NewFile reads (or with Create, makes) the key file.
func NewFile(cfg FileConfig) (*File, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Create {
		if err := GenerateKeyFile(cfg.Path, ECP256SHA256); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	b, err := os.ReadFile(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	priv, err := parsePrivatePEM(b)
	if err != nil {
		return nil, fmt.Errorf("signing: %s: %w", cfg.Path, err)
	}
	cur, err := fileKey(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("signing: %s: %w", cfg.Path, err)
	}
	f := &File{priv: priv, current: cur, all: []PublicKey{cur}}
	for _, p := range cfg.Retired {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
		pub, err := parseAnyPEM(b)
		if err != nil {
			return nil, fmt.Errorf("signing: %s: %w", p, err)
		}
		k, err := fileKey(pub)
		if err != nil {
			return nil, fmt.Errorf("signing: %s: %w", p, err)
		}
		f.all = append(f.all, k)
	}
	return f, nil
}

// fileKey names a public key by its fingerprint.
func fileKey(pub crypto.PublicKey) (PublicKey, error) {
	alg := algorithmOf(pub)
	if alg == "" {
		return PublicKey{}, errors.New("not an EC P-256 or Ed25519 key")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return PublicKey{}, fmt.Errorf("x509.MarshalPKIXPublicKey: %w", err)
	}
	sum := sha256.Sum256(der)
	return PublicKey{KeyID: "keyfile:" + hex.EncodeToString(sum[:8]), Algorithm: alg, Key: pub}, nil
}

func parsePrivatePEM(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM PKCS#8 PRIVATE KEY")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("x509.ParsePKCS8PrivateKey: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok || algorithmOf(signer.Public()) == "" {
		return nil, errors.New("not an EC P-256 or Ed25519 private key")
	}
	return signer, nil
}

// parseAnyPEM reads the public key of a PUBLIC KEY or PRIVATE KEY PEM.
func parseAnyPEM(b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block != nil && block.Type == "PUBLIC KEY" {
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("x509.ParsePKIXPublicKey: %w", err)
		}
		return pub, nil
	}
	priv, err := parsePrivatePEM(b)
	if err != nil {
		return nil, err
	}
	return priv.Public(), nil
}

// GenerateKeyFile writes a new private key of alg to path (mode 0600),
// failing with fs.ErrExist if the file exists.
func GenerateKeyFile(path string, alg Algorithm) error {
	var priv crypto.Signer
	var err error
	switch alg {
	case ECP256SHA256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return fmt.Errorf("signing: cannot generate a %q key", alg)
	}
	if err != nil {
		return fmt.Errorf("signing: generate: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("signing: x509.MarshalPKCS8PrivateKey: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return fmt.Errorf("signing: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("signing: write %s: %w", path, err)
	}
	return nil
}

// Sign implements Signer.
func (f *File) Sign(_ context.Context, data []byte) (Signature, error) {
	if f.current.Algorithm == Ed25519 {
		return f.signature(f.priv.Sign(rand.Reader, data, crypto.Hash(0)))
	}
	d := sha256.Sum256(data)
	return f.signature(f.priv.Sign(rand.Reader, d[:], crypto.SHA256))
}

// SignDigest implements Signer.
func (f *File) SignDigest(_ context.Context, digest []byte) (Signature, error) {
	if f.current.Algorithm == Ed25519 {
		return Signature{}, ErrDigestUnsupported
	}
	if len(digest) != sha256.Size {
		return Signature{}, fmt.Errorf("signing: a SHA-256 digest is %d bytes, not %d", sha256.Size, len(digest))
	}
	return f.signature(f.priv.Sign(rand.Reader, digest, crypto.SHA256))
}

func (f *File) signature(sig []byte, err error) (Signature, error) {
	if err != nil {
		return Signature{}, fmt.Errorf("signing: %s: %w", f.current.KeyID, err)
	}
	return Signature{KeyID: f.current.KeyID, Algorithm: f.current.Algorithm, Value: sig}, nil
}

// Current implements Signer.
func (f *File) Current(context.Context) (PublicKey, error) { return f.current, nil }

// PublicKeys implements Signer: the current key, then the retired ones.
func (f *File) PublicKeys(context.Context) ([]PublicKey, error) {
	return append([]PublicKey(nil), f.all...), nil
}

// PublicKey implements Verifier.
func (f *File) PublicKey(_ context.Context, keyID string) (PublicKey, error) {
	for _, k := range f.all {
		if k.KeyID == keyID {
			return k, nil
		}
	}
	return PublicKey{}, fmt.Errorf("%w: %q", ErrUnknownKey, keyID)
}
