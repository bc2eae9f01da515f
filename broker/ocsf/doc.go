// Package ocsf maps the audit trail's CloudEvents to the Open Cybersecurity
// Schema Framework (OCSF 1.1), the form SIEMs such as Amazon Security Lake,
// Splunk and Google SecOps ingest.
//
// Every catalog type maps to one OCSF class: decisions to Authorize Session
// (or Authentication when the token was not accepted), the minted credential
// to Authentication, jobs and rejected messages to API Activity, revocations
// to User Access Management, SCIM changes to Account Change and Group
// Management, checkpoints to API Activity. The CloudEvent's id is
// metadata.uid, its requestid metadata.correlation_uid, and every
// CloudEvents attribute (causationid, auditseq, auditprev...) is kept under
// unmapped.cloudevents, so that an OCSF record leads back to the signed
// chain. Secrets never appear: the audit events hold none.
//
// It is separate from package audit because it is a view for others: the
// chain and its hashes are defined on the CloudEvents, never on this form.
package ocsf
