// Package audit writes the broker's audit trail: every outcome is a
// CloudEvent appended, in the same transaction as the state change it
// reports, to a hash chain kept in the store's outbox and published to the
// audit topic by the outbox relay.
//
// Each record carries its position (auditseq) and the hash of its
// predecessor (auditprev) as CloudEvents extension attributes, so that a
// consumer holding the trail can detect a record that was changed,
// removed, inserted or reordered. Verify and VerifyStore check a trail
// (`iis audit verify`) and locate each problem.
package audit
