// Package worker turns Pub/Sub messages into handler calls.
//
// A Processor decodes and validates each message, drops duplicates
// (CloudEvent source + id), dispatches by event type to a Handler and maps
// the outcome to ack or nack: permanent failures (malformed, schema
// violation, unknown type, not a CloudEvent, a handler's permanent error)
// are audited as one `event rejected` event and acked; transient failures
// are nacked for redelivery; a panic is recovered, audited and nacked, and
// after a bounded number of panics the message is treated as permanent so
// that one poison message cannot loop forever.
//
// A Worker runs a Processor under a streaming-pull subscriber with flow
// control, and drains in-flight messages on shutdown. The same Processor
// serves the push path (functions/), so both deliveries behave alike.
package worker
