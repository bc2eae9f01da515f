package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// Algorithm is a signature algorithm, named as Cloud KMS names it.
type Algorithm string

const (
	// ECP256SHA256 is ECDSA on P-256 over a SHA-256 digest; the signature is
	// ASN.1 DER, as Cloud KMS returns it.
	ECP256SHA256 Algorithm = "EC_SIGN_P256_SHA256"
	// Ed25519 is PureEdDSA over the data itself; the signature is 64 bytes.
	Ed25519 Algorithm = "EC_SIGN_ED25519"
)

// JWA is the algorithm's JOSE name (RFC 7518, RFC 8037): "ES256" or "EdDSA".
func (a Algorithm) JWA() string {
	switch a {
	case ECP256SHA256:
		return "ES256"
	case Ed25519:
		return "EdDSA"
	}
	return ""
}

// Signature is a signature with the key that made it.
type Signature struct {
	KeyID     string
	Algorithm Algorithm
	Value     []byte
}

// PublicKey is a key that verifies signatures of one key id.
type PublicKey struct {
	KeyID     string
	Algorithm Algorithm
	Key       crypto.PublicKey // *ecdsa.PublicKey or ed25519.PublicKey
}

// Signer signs with the current version of a key and gives the public keys
// that verify its signatures.
type Signer interface {
	// Sign signs data with the current key. For ECP256SHA256 the data is
	// hashed here and only the digest leaves the process.
	Sign(ctx context.Context, data []byte) (Signature, error)
	// SignDigest signs a SHA-256 digest (ECP256SHA256 only; Ed25519 signs
	// data, not digests, and returns ErrDigestUnsupported).
	SignDigest(ctx context.Context, digest []byte) (Signature, error)
	// Current is the key that signs now.
	Current(ctx context.Context) (PublicKey, error)
	// PublicKeys are the keys that verify: every usable version, the
	// current one included (for a JWKS).
	PublicKeys(ctx context.Context) ([]PublicKey, error)
}

// Verifier finds the public key of a key id, refusing ids that are not its key's.
type Verifier interface {
	PublicKey(ctx context.Context, keyID string) (PublicKey, error)
}

var (
	// ErrDigestUnsupported is returned by SignDigest for an algorithm that
	// signs data rather than a digest.
	ErrDigestUnsupported = errors.New("signing: the key's algorithm signs data, not a digest")
	// ErrUnknownKey is returned for a key id that is not one of the signer's key.
	ErrUnknownKey = errors.New("signing: unknown key id")
	// ErrBadSignature is returned when a signature does not verify.
	ErrBadSignature = errors.New("signing: signature does not verify")
)

// Verify checks that sig is key's signature over data.
func (k PublicKey) Verify(data []byte, sig []byte) error {
	switch k.Algorithm {
	case ECP256SHA256:
		pub, ok := k.Key.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			return fmt.Errorf("signing: key %s is not a P-256 key", k.KeyID)
		}
		d := sha256.Sum256(data)
		if !ecdsa.VerifyASN1(pub, d[:], sig) {
			return fmt.Errorf("%w (key %s)", ErrBadSignature, k.KeyID)
		}
	case Ed25519:
		pub, ok := k.Key.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("signing: key %s is not an Ed25519 key", k.KeyID)
		}
		if !ed25519.Verify(pub, data, sig) {
			return fmt.Errorf("%w (key %s)", ErrBadSignature, k.KeyID)
		}
	default:
		return fmt.Errorf("signing: key %s: unknown algorithm %q", k.KeyID, k.Algorithm)
	}
	return nil
}

// Verify checks sig over data with the key its KeyID names, as v gives it.
func Verify(ctx context.Context, v Verifier, data []byte, sig Signature) error {
	k, err := v.PublicKey(ctx, sig.KeyID)
	if err != nil {
		return err
	}
	if k.Algorithm != sig.Algorithm {
		return fmt.Errorf("%w: key %s is %s, the signature says %s", ErrBadSignature, k.KeyID, k.Algorithm, sig.Algorithm)
	}
	return k.Verify(data, sig.Value)
}

// PEM is the key's SubjectPublicKeyInfo in PEM, as Cloud KMS serves it.
func (k PublicKey) PEM() (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Key)
	if err != nil {
		return "", fmt.Errorf("x509.MarshalPKIXPublicKey: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ParsePublicKeyPEM reads a SubjectPublicKeyInfo PEM of algorithm alg.
func ParsePublicKeyPEM(keyID string, alg Algorithm, pemText []byte) (PublicKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil || block.Type != "PUBLIC KEY" {
		return PublicKey{}, fmt.Errorf("signing: key %s: not a PEM PUBLIC KEY", keyID)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return PublicKey{}, fmt.Errorf("signing: key %s: x509.ParsePKIXPublicKey: %w", keyID, err)
	}
	k := PublicKey{KeyID: keyID, Algorithm: alg, Key: pub}
	if got := algorithmOf(pub); got != alg {
		return PublicKey{}, fmt.Errorf("signing: key %s is a %s key, not %s", keyID, orUnknown(got), alg)
	}
	return k, nil
}

// algorithmOf is the algorithm a public key serves, or "".
func algorithmOf(pub crypto.PublicKey) Algorithm {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if p.Curve == elliptic.P256() {
			return ECP256SHA256
		}
	case ed25519.PublicKey:
		return Ed25519
	}
	return ""
}

func orUnknown(a Algorithm) string {
	if a == "" {
		return "unsupported"
	}
	return string(a)
}
