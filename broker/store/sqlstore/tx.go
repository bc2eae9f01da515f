package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dataproc-iis/iis/broker/store"
)

// tx is the store.Tx of one Update or View.
type tx struct {
	s        *Store
	tx       *sql.Tx
	readOnly bool
}

var _ store.Tx = (*tx)(nil)

// d is the store's dialect.
func (t *tx) d() *Dialect { return t.s.d }

// writable fails in a View, before anything reaches the database.
func (t *tx) writable(op string) error {
	if t.readOnly {
		return invalid("%s in a read-only transaction", op)
	}
	return nil
}

// forUpdate is the locking clause for a read that a write will follow.
func (t *tx) forUpdate() string {
	if t.readOnly {
		return ""
	}
	return t.d().ForUpdate
}

// exec runs a write statement.
func (t *tx) exec(ctx context.Context, op, q string, args ...any) (sql.Result, error) {
	if err := t.writable(op); err != nil {
		return nil, err
	}
	res, err := t.tx.ExecContext(ctx, t.d().rebind(q), args...)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return res, nil
}

// execCount runs a write statement and returns the rows it affected.
func (t *tx) execCount(ctx context.Context, op, q string, args ...any) (int64, error) {
	res, err := t.exec(ctx, op, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.d().Wrap(op, err)
	}
	return n, nil
}

// query runs a query; the caller closes the rows.
func (t *tx) query(ctx context.Context, op, q string, args ...any) (*sql.Rows, error) {
	rows, err := t.tx.QueryContext(ctx, t.d().rebind(q), args...)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return rows, nil
}

// queryRow runs a query that returns at most one row and scans it into dest.
// It returns found == false, and no error, when there is no row.
func (t *tx) queryRow(ctx context.Context, op, q string, args []any, dest ...any) (found bool, err error) {
	err = t.tx.QueryRowContext(ctx, t.d().rebind(q), args...).Scan(dest...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, t.d().Wrap(op, err)
	}
	return true, nil
}
