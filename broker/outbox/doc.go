// Package outbox delivers the events that a transaction wrote to the store.
//
// A state change and the events that report it commit together (the
// transactional outbox); a Relay then publishes each stored event at least
// once and marks it sent. The event id is the consumers' dedupe key. Several
// relays may run at once: the store hands each row to one claimant at a
// time, under a lease that lets another relay take over from a dead one.
package outbox
