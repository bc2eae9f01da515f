// Package postgres is the store backend for many workers: PostgreSQL through
// github.com/jackc/pgx/v5 (its database/sql adapter, pgx/v5/stdlib).
//
// Update runs SERIALIZABLE transactions and runs them again on a
// serialization failure (40001) or deadlock (40P01). The audit chain head is
// one row, guarded by an advisory lock per schema: a chain writer that lost
// the head to another retries holding that lock from before its snapshot, so
// it cannot lose it twice and chain writers never starve. Relays claim outbox
// rows with FOR UPDATE SKIP LOCKED so that several can run at once.
// Concurrent Opens take an advisory lock before migrating. The queries are
// sqlstore's. Listen follows directory changes (migration 3's triggers,
// NOTIFY on channel iis_directory) for directory.Cached.
package postgres
