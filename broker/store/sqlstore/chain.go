package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

// ChainHead implements store.OutboxWriter. It only reads: the sequencer
// alone moves the head, under the chain lock.
func (t *tx) ChainHead(ctx context.Context) (int64, string, error) {
	const op = "sqlstore: ChainHead"
	var (
		seq  int64
		hash string
	)
	found, err := t.queryRow(ctx, op, "SELECT seq, hash FROM audit_chain_head WHERE id = 1", nil, &seq, &hash)
	if err == nil && !found {
		err = fmt.Errorf("%s: the head row is missing", op)
	}
	return seq, hash, err
}

// SequenceAudit implements store.Outbox. One transaction: take the chain
// lock (PostgreSQL: an advisory lock, so one sequencer runs at a time across
// processes; SQLite: the single writer), read the head and the oldest
// unchained records, link them one after another, write them and the head.
// It runs at READ COMMITTED on PostgreSQL: the lock already serialises the
// sequencers, and each statement then sees every record committed before it.
func (s *Store) SequenceAudit(ctx context.Context, limit int, link store.Linker) (int, error) {
	const op = "sqlstore: SequenceAudit"
	if limit <= 0 || link == nil {
		return 0, invalid("SequenceAudit: limit %d: need a positive limit and a linker", limit)
	}
	// Most calls find nothing to do (another worker's sequencer chained it):
	// one indexed read, without the lock, tells.
	var pending bool
	if err := s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM outbox WHERE chain AND seq IS NULL)").Scan(&pending); err != nil {
		return 0, s.d.Wrap(op, err)
	}
	if !pending {
		return 0, nil
	}
	sqlTx, err := s.db.BeginTx(ctx, s.d.SequenceTx)
	if err != nil {
		return 0, s.d.Wrap(op, err)
	}
	defer sqlTx.Rollback() //nolint:errcheck // no-op after Commit
	if s.d.ChainLock != "" {
		if _, err := sqlTx.ExecContext(ctx, s.d.ChainLock); err != nil {
			return 0, s.d.Wrap(op, err)
		}
	}
	var (
		seq  int64
		prev string
	)
	if err := sqlTx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_chain_head WHERE id = 1").Scan(&seq, &prev); err != nil {
		return 0, s.d.Wrap(op, err)
	}
	rows, err := sqlTx.QueryContext(ctx, s.d.rebind(
		"SELECT "+outboxCols+" FROM outbox WHERE chain AND seq IS NULL ORDER BY id LIMIT ?"), limit)
	if err != nil {
		return 0, s.d.Wrap(op, err)
	}
	batch, err := collect(rows, scanOutbox)
	if err != nil {
		return 0, s.d.Wrap(op, err)
	}
	if len(batch) == 0 {
		return 0, nil
	}
	for i := range batch {
		seq++
		if err := link(&batch[i], seq, prev); err != nil {
			return 0, fmt.Errorf("%s: link record %d: %w", op, batch[i].ID, err)
		}
		batch[i].Seq, prev = seq, batch[i].Hash
	}
	if err := s.writeLinks(ctx, sqlTx, batch); err != nil {
		return 0, err
	}
	if _, err := sqlTx.ExecContext(ctx, s.d.rebind("UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1"), seq, prev); err != nil {
		return 0, s.d.Wrap(op, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return 0, s.d.Wrap(op, err)
	}
	return len(batch), nil
}

// writeLinks stores the linked records, up to 100 in one UPDATE ... CASE
// statement (a round trip per record would make the sequencer the bound),
// and releases the sequencer's claim on them. Every argument is CAST so
// that PostgreSQL knows its type and SQLite takes the same text.
func (s *Store) writeLinks(ctx context.Context, sqlTx *sql.Tx, batch []store.OutboxMessage) error {
	const op = "sqlstore: SequenceAudit"
	const when = " WHEN CAST(? AS BIGINT) THEN CAST(? AS "
	for start := 0; start < len(batch); start += 100 {
		part := batch[start:min(start+100, len(batch))]
		var seqCase, hashCase, attrCase strings.Builder
		var seqArgs, hashArgs, attrArgs, idArgs []any
		for _, m := range part {
			attrs, err := json.Marshal(m.Attributes)
			if err != nil {
				return invalid("SequenceAudit: attributes of record %d: %v", m.ID, err)
			}
			seqCase.WriteString(when + "BIGINT)")
			hashCase.WriteString(when + "TEXT)")
			attrCase.WriteString(when + "TEXT)")
			seqArgs = append(seqArgs, m.ID, m.Seq)
			hashArgs = append(hashArgs, m.ID, m.Hash)
			attrArgs = append(attrArgs, m.ID, string(attrs))
			idArgs = append(idArgs, m.ID)
		}
		q := "UPDATE outbox SET seq = CASE id" + seqCase.String() + " END" +
			", hash = CASE id" + hashCase.String() + " END" +
			", attributes = CASE id" + attrCase.String() + " END" +
			", claimed_by = '', claim_expires_at = NULL WHERE id IN (" + placeholders(len(part)) + ")"
		args := append(append(append(seqArgs, hashArgs...), attrArgs...), idArgs...)
		res, err := sqlTx.ExecContext(ctx, s.d.rebind(q), args...)
		if err != nil {
			return s.d.Wrap(op, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(part)) {
			return fmt.Errorf("%s: linked %d of %d records (%v)", op, n, len(part), err)
		}
	}
	return nil
}

// UnchainedAudit implements store.Outbox.
func (s *Store) UnchainedAudit(ctx context.Context) (int64, time.Time, error) {
	var (
		n      int64
		oldest *time.Time
	)
	row := s.read.QueryRowContext(ctx, "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE chain AND seq IS NULL")
	if err := row.Scan(&n, nullTimeCol{&oldest}); err != nil {
		return 0, time.Time{}, s.d.Wrap("sqlstore: UnchainedAudit", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}
