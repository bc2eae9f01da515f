package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // register SHA-384 and SHA-512
	"errors"
	"fmt"
	"math/big"
)

// minRSABits is the smallest RSA modulus accepted in a key set.
const minRSABits = 2048

// verifyKey is one public key of an issuer's key set.
type verifyKey struct {
	kid string
	alg string // the JWK's alg, if it declares one
	pub crypto.PublicKey
}

// algSpec binds a JWS algorithm to its key type and hash.
type algSpec struct {
	hash  crypto.Hash
	kind  string // "rsa", "pss", "ec", "ed"
	curve elliptic.Curve
}

var algSpecs = map[string]algSpec{
	"RS256": {crypto.SHA256, "rsa", nil},
	"RS384": {crypto.SHA384, "rsa", nil},
	"RS512": {crypto.SHA512, "rsa", nil},
	"PS256": {crypto.SHA256, "pss", nil},
	"PS384": {crypto.SHA384, "pss", nil},
	"PS512": {crypto.SHA512, "pss", nil},
	"ES256": {crypto.SHA256, "ec", elliptic.P256()},
	"ES384": {crypto.SHA384, "ec", elliptic.P384()},
	"ES512": {crypto.SHA512, "ec", elliptic.P521()},
	"EdDSA": {0, "ed", nil},
}

// fits reports whether key k may verify a signature made with alg: the key
// type and curve must match the algorithm, and a key that declares its alg
// is only used for that alg.
func (k *verifyKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	spec, ok := algSpecs[alg]
	if !ok {
		return false
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		return spec.kind == "rsa" || spec.kind == "pss"
	case *ecdsa.PublicKey:
		return spec.kind == "ec" && pub.Curve == spec.curve
	case ed25519.PublicKey:
		return spec.kind == "ed"
	}
	return false
}

var errBadSignature = errors.New("signature does not verify")

// verifySignature checks sig over input with key k under alg (k.fits(alg)).
func verifySignature(k *verifyKey, alg, input string, sig []byte) error {
	spec := algSpecs[alg]
	var digest []byte
	switch spec.hash {
	case 0: // EdDSA signs the message itself
	case crypto.SHA256:
		sum := sha256.Sum256([]byte(input))
		digest = sum[:]
	default:
		h := spec.hash.New()
		h.Write([]byte(input))
		digest = h.Sum(nil)
	}
	var ok bool
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		if spec.kind == "pss" {
			ok = rsa.VerifyPSS(pub, spec.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(pub, spec.hash, digest, sig) == nil
		}
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) == 2*size { // JWS ECDSA signatures are r||s, fixed size
			r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
			ok = ecdsa.Verify(pub, digest, r, s)
		}
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, []byte(input), sig)
	default:
		return fmt.Errorf("unsupported key type %T", pub)
	}
	if !ok {
		return errBadSignature
	}
	return nil
}
