// Package fault classifies the errors that reach a message handler.
//
// Every error a handler returns is either permanent (the message can never
// succeed: bad payload, denied, unknown principal; audit it, then ack) or
// transient (a store or API is unavailable; nack and let redelivery retry).
// The classification is explicit, carried by the error value, never guessed
// from message text. An unclassified error is treated as transient, so that
// an unexpected failure is retried rather than silently dropped.
package fault
