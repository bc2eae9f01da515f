package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// ChainHead implements store.OutboxWriter. In a read-write transaction it
// takes the chain lock (where the dialect has one) and locks the head row.
func (t *tx) ChainHead(ctx context.Context) (int64, string, error) {
	const op = "sqlstore: ChainHead"
	if !t.readOnly {
		t.chained = true
		if lock := t.d().ChainLock; lock != "" && !t.chainLocked {
			if _, err := t.tx.ExecContext(ctx, lock); err != nil {
				return 0, "", t.d().Wrap(op, err)
			}
			t.chainLocked = true
		}
	}
	var (
		seq  int64
		hash string
	)
	found, err := t.queryRow(ctx, op, "SELECT seq, hash FROM audit_chain_head WHERE id = 1"+t.forUpdate(), nil, &seq, &hash)
	if err == nil && !found {
		err = fmt.Errorf("%s: the head row is missing", op)
	}
	return seq, hash, err
}

// lockChainSession takes the chain lock on a connection of its own, before
// any transaction starts on it.
//
// Why: a SERIALIZABLE transaction takes its snapshot at its first statement.
// One that then waits for the chain head while another extends the chain
// finds the head changed since its snapshot and fails with a serialization
// failure, however long it waits; under steady load it could fail forever.
// Holding the lock before BEGIN gives the retry a snapshot in which the head
// is current, and every chain writer takes the same lock in ChainHead, so the
// retry cannot lose the head again: each transaction loses it at most once.
func (s *Store) lockChainSession(ctx context.Context) (*sql.Conn, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, s.d.Wrap("sqlstore: chain lock", err)
	}
	if _, err := conn.ExecContext(ctx, s.d.ChainSessionLock); err != nil {
		// Whether the lock was taken is unknown: never pool this connection.
		discard(conn)
		return nil, s.d.Wrap("sqlstore: chain lock", err)
	}
	return conn, nil
}

// unlockChainSession releases the lock and the connection. A connection that
// might still hold the lock is closed rather than pooled.
func (s *Store) unlockChainSession(conn *sql.Conn) {
	if _, err := conn.ExecContext(context.Background(), s.d.ChainSessionUnlock); err != nil {
		discard(conn)
		return
	}
	_ = conn.Close()
}

// discard closes conn's underlying connection instead of returning it to
// the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
