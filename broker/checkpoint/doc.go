// Package checkpoint anchors the audit chain outside the database it
// protects.
//
// Periodically, and when a worker stops, a Checkpointer reads the chain
// head, signs a statement of it (chain id, seq, hash, count, time, the
// previous checkpoint) with the checkpoint key (package signing: Cloud KMS
// in production), writes it to an Archive that never overwrites (a Cloud
// Storage bucket with a retention policy, or a local directory), notes it in
// the store and publishes it on the audit topic as audit.checkpointed.v1.
//
// Load reads an archive back for `iis audit verify`: it checks each
// statement's signature and chain, and hands the heads they vouch for to
// audit.VerifyStore as anchors, so that a truncated tail, a rolled-back
// database or a chain rewritten behind the broker's back no longer verify.
//
// It is separate from package audit because it owns the keys and the
// archive: audit verifies a chain against anchors it is given and never
// touches a signature.
package checkpoint
