package postgres

import (
	"database/sql"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dataproc-iis/iis/broker/store/sqlstore"
)

// Dialect describes PostgreSQL to sqlstore.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:           "postgres",
		Migrations:     sqlstore.Migrations("postgres"),
		NumberedParams: true,
		ForUpdate:      " FOR UPDATE",
		SkipLocked:     " FOR UPDATE SKIP LOCKED",
		Time:           func(t time.Time) any { return t },
		UpdateTx:       &sql.TxOptions{Isolation: sql.LevelSerializable},
		ViewTx:         &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		// Advisory locks keyed by (constant, schema), so that stores in
		// different schemas of one database do not contend. The chain lock
		// is the one brokers before the sequencer took to chain in their
		// transactions: both kinds may run during a rolling upgrade.
		ChainLock:     "SELECT pg_advisory_xact_lock(4242002, hashtext(current_schema()))",
		SequenceTx:    &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		MigrationLock: "SELECT pg_advisory_xact_lock(4242001, hashtext(current_schema()))",
		MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
		Classify:    classify,
		MaxAttempts: 30,
		Fold:        "lower",
		Collate:     ` COLLATE "C"`,
		JSON:        jsonDoc{},
	}
}

// classify maps SQLSTATEs and connection errors.
func classify(err error) sqlstore.Class {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch code := pe.Code; {
		case code == "23505":
			return sqlstore.ClassUnique
		case code == "23503":
			return sqlstore.ClassForeignKey
		case code == "40001", code == "40P01":
			return sqlstore.ClassRetry
		case strings.HasPrefix(code, "22"): // data exception
			return sqlstore.ClassInvalid
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"),                     // insufficient resources
			code == "57P01", code == "57P02", code == "57P03", // shutting down, cannot connect now
			code == "57014": // statement timeout
			return sqlstore.ClassUnavailable
		}
		return sqlstore.ClassOther
	}
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return sqlstore.ClassUnavailable
	}
	return sqlstore.ClassOther
}
