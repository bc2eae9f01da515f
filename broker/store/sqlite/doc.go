// Package sqlite is the embedded store backend: one SQLite file (iis.db)
// under a data directory, through modernc.org/sqlite (pure Go, no cgo).
//
// It is the default for `iis dev` and a single worker. Writes go through one
// connection in BEGIN IMMEDIATE transactions, so goroutines queue for the
// write lock instead of failing with SQLITE_BUSY; reads use a pool of
// read-only connections that see WAL snapshots. Other processes sharing the
// file wait up to the busy timeout. The queries are sqlstore's.
package sqlite
