// Package events is the Dataproc IIS event catalog: the type of every
// CloudEvent the system publishes or consumes, its typed payload, its JSON
// Schema, constructors that refuse to build an invalid event, decoders, and
// the CloudEvents Pub/Sub binding (binary mode on write; binary and structured
// mode on read).
//
// It is separate from the broker so that producers (pipelines, the CLI, the
// SCIM function) and consumers (the worker, the audit trail, a SIEM adapter)
// share one contract and one validation, and so that nothing in it depends on
// a Pub/Sub client: Encode and Decode work on a plain Message.
//
// Every error that Decode and Validate return is a permanent *fault.Error
// whose reason is one of the Reason constants. Error text names attributes,
// JSON paths and schema keywords only, never a payload value: job requests
// carry ID tokens.
package events
