// Package kmsserver is an in-process Cloud KMS API
// (google.cloud.kms.v1.KeyManagementService) for local development and tests:
// the asymmetric signing keys that sign the broker's session tokens and audit
// checkpoints.
//
// It is reached by Google's own client, cloud.google.com/go/kms/apiv1, pointed
// at its TCP address. It serves key rings, crypto keys with purpose
// ASYMMETRIC_SIGN (EC_SIGN_P256_SHA256 and EC_SIGN_ED25519), their versions and
// the version lifecycle (create, disable, schedule destruction, restore), and
// GetPublicKey and AsymmetricSign with the CRC32C integrity fields the real API
// checks and returns. Keys are generated in memory or, with a directory, kept
// in a state file there so that a dev restart signs with the same keys.
//
// It is separate from the broker because it stands in for Google: nothing in
// broker/ imports it, and production never runs it.
package kmsserver
