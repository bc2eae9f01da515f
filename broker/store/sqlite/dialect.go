package sqlite

import (
	"database/sql"
	"errors"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dataproc-iis/iis/broker/store/sqlstore"
)

// Dialect describes SQLite to sqlstore. Writers are serialised by BEGIN
// IMMEDIATE, so no locking clause is needed and nothing needs a retry.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:       "sqlite",
		Migrations: sqlstore.Migrations("sqlite"),
		Time:       func(t time.Time) any { return t.UnixMicro() },
		// Update: BEGIN IMMEDIATE (the _txlock of the write pool).
		UpdateTx: nil,
		// View: a deferred BEGIN on a query_only connection.
		ViewTx: &sql.TxOptions{ReadOnly: true},
		MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		Classify: classify,
		Fold:     foldFunc,
		JSON:     jsonDoc{},
	}
}

// classify maps SQLite result codes.
func classify(err error) sqlstore.Class {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return sqlstore.ClassOther
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.ClassUnique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ClassForeignKey
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
		sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL:
		return sqlstore.ClassUnavailable
	}
	return sqlstore.ClassOther
}
