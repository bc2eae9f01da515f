package signing

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// JWS returns the signature in the form a JWS carries it (RFC 7518 3.4):
// for ES256 the 64 bytes R || S instead of Cloud KMS's ASN.1 DER; Ed25519
// signatures are already in that form.
func (s Signature) JWS() ([]byte, error) {
	if s.Algorithm != ECP256SHA256 {
		return s.Value, nil
	}
	var r, sv big.Int
	in := cryptobyte.String(s.Value)
	var inner cryptobyte.String
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(&r) || !inner.ReadASN1Integer(&sv) || !inner.Empty() ||
		r.Sign() <= 0 || sv.Sign() <= 0 || r.BitLen() > 256 || sv.BitLen() > 256 {
		return nil, fmt.Errorf("signing: key %s: not an ASN.1 ECDSA P-256 signature", s.KeyID)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	sv.FillBytes(out[32:])
	return out, nil
}

// VerifyJWS checks a JWS-form signature (R || S for ES256) over the JWS
// signing input.
func (k PublicKey) VerifyJWS(signingInput, sig []byte) error {
	if k.Algorithm != ECP256SHA256 {
		return k.Verify(signingInput, sig)
	}
	if len(sig) != 64 {
		return fmt.Errorf("%w (key %s): an ES256 signature is 64 bytes, not %d", ErrBadSignature, k.KeyID, len(sig))
	}
	if _, ok := k.Key.(*ecdsa.PublicKey); !ok {
		return fmt.Errorf("signing: key %s is not a P-256 key", k.KeyID)
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[:32]))
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[32:]))
	})
	der, err := b.Bytes()
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	return k.Verify(signingInput, der)
}
