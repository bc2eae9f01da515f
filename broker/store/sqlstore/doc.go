// Package sqlstore implements store.Store once, over database/sql, for every
// SQL backend.
//
// The backends (packages sqlite and postgres) differ only in what a Dialect
// captures: placeholders, row-locking clauses, how a time is encoded, the
// isolation of a transaction, how a driver error is classified, and the
// schema, which lives here as versioned migrations per dialect
// (migrations/<dialect>/NNNN_name.sql), applied in order by Open. Keeping the
// queries in one place is what makes the two backends behave the same; the
// conformance suite in storetest checks that they do.
//
// Directory filters (store.Filter) are compiled into SQL here too, from
// Exprs that carry their arguments with them; a dialect adds only how it
// folds case, orders strings by code point, and reads JSON (the JSON
// interface).
//
// Expected conflicts (a duplicate key, a stale version, a chain gap) are
// detected without a failing statement, so a transaction stays usable after
// the store returns ErrConflict or ErrNotFound, on PostgreSQL as on SQLite.
package sqlstore
