package session

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"

	jose "github.com/go-jose/go-jose/v4"
)

// Signer signs session tokens with one key version: ES256 over the JWS
// signing input. A Cloud KMS key version (AsymmetricSign over the SHA-256
// digest) and a key file both satisfy it.
type Signer interface {
	// Public returns the public key of the version that signs now.
	Public() crypto.PublicKey
	// SignDigest signs a SHA-256 digest and returns the ASN.1 DER ECDSA
	// signature, as crypto.Signer and Cloud KMS AsymmetricSign do.
	SignDigest(ctx context.Context, digest []byte) ([]byte, error)
}

// KeyID is the key id of a public key in the JWKS: "session-es256-" and the
// first 6 bytes of its RFC 7638 thumbprint, so that every worker and every
// login service instance derive the same id from the same key version.
func KeyID(pub crypto.PublicKey) (string, error) {
	thumb, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("jose.Thumbprint: %w", err)
	}
	return "session-es256-" + hex.EncodeToString(thumb[:6]), nil
}

// jwsSignature turns a DER ECDSA signature into the JWS form: r and s as
// 32-byte big-endian integers, concatenated (RFC 7518 §3.4).
func jwsSignature(der []byte) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return nil, fmt.Errorf("session: signature is not DER ECDSA: %w", err)
	}
	if sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, errors.New("session: signature is not a P-256 ECDSA signature")
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

// KeySigner signs with an ECDSA P-256 private key held in memory (a key
// file in dev, or a test key).
type KeySigner struct{ Key *ecdsa.PrivateKey }

var _ Signer = KeySigner{}

// Public implements Signer.
func (k KeySigner) Public() crypto.PublicKey { return &k.Key.PublicKey }

// SignDigest implements Signer.
func (k KeySigner) SignDigest(_ context.Context, digest []byte) ([]byte, error) {
	return ecdsa.SignASN1(rand.Reader, k.Key, digest)
}

// GenerateKey returns a new P-256 key (dev and tests).
func GenerateKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// LoadKeyFile reads a PEM file holding an EC P-256 private key (PKCS #8 or
// SEC 1, as `openssl ecparam -genkey -name prime256v1` writes).
func LoadKeyFile(path string) (KeySigner, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return KeySigner{}, err
	}
	key, err := parsePrivateKey(b)
	if err != nil {
		return KeySigner{}, fmt.Errorf("%s: %w", path, err)
	}
	return KeySigner{Key: key}, nil
}

// WriteKeyFile writes key to path as PKCS #8 PEM with mode 0600.
func WriteKeyFile(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("x509.MarshalPKCS8PrivateKey: %w", err)
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

func parsePrivateKey(b []byte) (*ecdsa.PrivateKey, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no EC PRIVATE KEY or PRIVATE KEY block")
		}
		switch blk.Type {
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			return p256(k)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			ec, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("a %T key: session tokens are ES256 (EC P-256)", k)
			}
			return p256(ec)
		}
	}
}

func p256(k *ecdsa.PrivateKey) (*ecdsa.PrivateKey, error) {
	if k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("curve %s: session tokens are ES256 (P-256)", k.Curve.Params().Name)
	}
	return k, nil
}

// LoadPublicKeys reads the PEM public keys (PKIX "PUBLIC KEY" blocks) of
// previous key versions, still published for overlap after a rotation.
func LoadPublicKeys(path string) ([]crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []crypto.PublicKey
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "PUBLIC KEY" {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%s: a %T key: session keys are EC P-256", path, pub)
		}
		out = append(out, ec)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PUBLIC KEY block", path)
	}
	return out, nil
}

func digest(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
