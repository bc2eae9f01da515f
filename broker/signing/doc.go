// Package signing signs the broker's own statements (audit checkpoints,
// session tokens) with an asymmetric key and hands out the public keys that
// verify them.
//
// A Signer names each signature by its key id, which for Cloud KMS is the
// CryptoKeyVersion's resource name, so that a verifier years later knows
// which key to fetch. Two implementations: KMS, through Google's own client
// (cloud.google.com/go/kms/apiv1) with the API's CRC32C integrity checks, for
// production; File, a PEM private key on disk, for development. Rotation is
// Cloud KMS's: a new version is created, the signer moves to the newest
// ENABLED version, and older versions keep verifying until they are disabled.
//
// It is separate from its users because the key is a security boundary of its
// own: nothing outside this package touches private key material.
package signing
