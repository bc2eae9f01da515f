package sqlstore

import (
	"database/sql"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// Class is what a driver error means to the store.
type Class int

const (
	// ClassOther is any error the store has no special handling for.
	ClassOther Class = iota
	// ClassUnique is a unique or primary key violation.
	ClassUnique
	// ClassForeignKey is a foreign key violation.
	ClassForeignKey
	// ClassRetry is a serialization failure or deadlock: running the whole
	// transaction again may succeed.
	ClassRetry
	// ClassInvalid is a value the database refuses (PostgreSQL's data
	// exceptions, such as a NUL byte in a text column): a permanent error.
	ClassInvalid
	// ClassUnavailable is a connection failure, a timeout, or a database that
	// is busy, full or shutting down: a transient fault.
	ClassUnavailable
)

// Dialect is what one SQL backend needs the shared implementation to know.
type Dialect struct {
	// Name names the dialect and its migrations directory.
	Name string
	// Migrations holds the NNNN_name.sql files, applied in order.
	Migrations fs.FS
	// NumberedParams rewrites ? placeholders to $1, $2, ...
	NumberedParams bool
	// ForUpdate is appended to a SELECT that locks the rows it reads in a
	// read-write transaction (" FOR UPDATE"), "" where transactions are
	// serialised anyway.
	ForUpdate string
	// SkipLocked is appended to the SELECT that picks outbox rows to claim
	// (" FOR UPDATE SKIP LOCKED"), "" where writers are serialised anyway.
	SkipLocked string
	// Time encodes a time for a query argument; it receives UTC times
	// truncated to the microsecond.
	Time func(time.Time) any
	// UpdateTx and ViewTx are the options of Update's and View's transactions.
	UpdateTx, ViewTx *sql.TxOptions
	// ChainLock, if set, runs first in the sequencer's transaction, so that
	// one sequencer at a time moves the audit chain head.
	ChainLock string
	// SequenceTx are the options of the sequencer's transaction.
	SequenceTx *sql.TxOptions
	// MigrationLock, if set, runs first in every migration transaction to
	// keep concurrent Opens from migrating at once.
	MigrationLock string
	// MigrationsTable creates the schema_migrations table if it is missing.
	MigrationsTable string
	// Classify says what a driver error means.
	Classify func(error) Class
	// MaxAttempts bounds how many times Update runs fn when it fails with a
	// ClassRetry error; 0 or 1 means no retry.
	MaxAttempts int
	// Fold is the SQL function that folds the case of a string for
	// directory filters on values without a folded column ("lower").
	Fold string
	// Collate is appended to a string expression that is ordered, so that
	// it orders by Unicode code point (` COLLATE "C"`); "" where that is
	// the default.
	Collate string
	// JSON reads the SCIM resource a user row keeps as JSON, for filters
	// and sorting on attributes without a column.
	JSON JSON
}

// rebind rewrites ? placeholders for dialects with numbered parameters. The
// store's queries hold no ? inside string literals.
func (d *Dialect) rebind(q string) string {
	if !d.NumberedParams || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// timeArg encodes t as a query argument.
func (d *Dialect) timeArg(t time.Time) any { return d.Time(normTime(t)) }

// nullTimeArg encodes t, or NULL for nil.
func (d *Dialect) nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.timeArg(*t)
}

// normTime is the form in which the store keeps times: UTC, microseconds.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
