// Package store defines the broker's durable state: the contract every
// storage backend implements, its domain types and its sentinel errors.
//
// The broker owns this interface; backends live in sub-packages (sqlite, the
// embedded default, and postgres for many workers) and share one SQL
// implementation in sqlstore. Keeping the contract here, free of any driver,
// lets handlers depend on it without pulling a database in, and lets one
// conformance suite (storetest) hold every backend to the same behaviour.
//
// All state changes happen inside Update, in one serialisable transaction: a
// handler that marks an event processed, records a decision and enqueues the
// audit events that report it commits all of it or none of it. The outbox is
// drained by a relay through the Outbox methods, at least once.
//
// The store never holds a secret: it has no column for a token or a password,
// and PutUser refuses attributes that carry one.
package store
