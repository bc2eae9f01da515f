// Package storetest is the conformance suite of store.Store: every backend
// runs Run and must pass it, so that handlers can rely on one behaviour
// whichever database is configured.
//
// It also opens fresh stores for other packages' tests: SQLite always (in a
// temporary directory), PostgreSQL when IIS_TEST_POSTGRES_DSN is set (in a
// schema of its own, dropped afterwards).
package storetest
