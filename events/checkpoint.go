package events

import "time"

// Checkpoint is the data of audit.checkpointed.v1: a signed statement that
// the audit chain ChainID held Count records, the last at Seq with hash
// Hash, at Time. It is written outside the database (an archive directory
// or a Cloud Storage object) and published on the audit topic, unchained:
// its signature, not the chain, vouches for it. Package checkpoint signs and
// verifies it; docs/audit.md gives the signed bytes.
type Checkpoint struct {
	ChainID string    `json:"chain_id"`
	Seq     int64     `json:"seq"`
	Hash    string    `json:"hash"`
	Count   int64     `json:"count"`
	Time    time.Time `json:"time"`
	// Previous is the chain head of the checkpoint before this one.
	Previous  *CheckpointRef `json:"previous,omitempty"`
	KeyID     string         `json:"key_id"`    // the signing key: a Cloud KMS CryptoKeyVersion name, or keyfile:<fingerprint>
	Algorithm string         `json:"algorithm"` // EC_SIGN_P256_SHA256 or EC_SIGN_ED25519
	Signature string         `json:"signature"` // base64 (standard, padded); ASN.1 DER for ECDSA
}

// CheckpointRef names a checkpointed chain head.
type CheckpointRef struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}
