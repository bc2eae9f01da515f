package sqlstore

import (
	"context"
	"database/sql"
	"math"
	"sort"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

// ClaimOutbox implements store.Outbox. It is one statement: the rows are
// picked with SKIP LOCKED where the dialect has it, so concurrent relays on
// PostgreSQL lease disjoint rows without waiting on each other; SQLite
// serialises writers.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]store.OutboxMessage, error) {
	if owner == "" || limit <= 0 || lease <= 0 {
		return nil, invalid("ClaimOutbox: owner %q, limit %d, lease %v: need an owner and positive limit and lease", owner, limit, lease)
	}
	now := s.now()
	q := `UPDATE outbox SET claimed_by = ?, claim_expires_at = ?, attempts = attempts + 1
	      WHERE id IN (SELECT id FROM outbox
	                   WHERE sent_at IS NULL AND (claim_expires_at IS NULL OR claim_expires_at <= ?)
	                     AND (seq IS NOT NULL OR NOT chain)
	                   ORDER BY id LIMIT ?` + s.d.SkipLocked + `)
	      RETURNING ` + outboxCols
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), owner, s.d.timeArg(now.Add(lease)), s.d.timeArg(now), limit)
	if err != nil {
		return nil, s.d.Wrap("sqlstore: ClaimOutbox", err)
	}
	ms, err := collect(rows, scanOutbox)
	if err != nil {
		return nil, s.d.Wrap("sqlstore: ClaimOutbox", err)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	return ms, nil
}

// MarkSent implements store.Outbox.
func (s *Store) MarkSent(ctx context.Context, ids ...int64) error {
	now := s.d.timeArg(s.now())
	for _, chunk := range chunks(ids) {
		q := `UPDATE outbox SET sent_at = ?, claimed_by = '', claim_expires_at = NULL
		      WHERE sent_at IS NULL AND id IN (` + placeholders(len(chunk)) + ")"
		if _, err := s.db.ExecContext(ctx, s.d.rebind(q), append([]any{now}, anys(chunk)...)...); err != nil {
			return s.d.Wrap("sqlstore: MarkSent", err)
		}
	}
	return nil
}

// AuditTrail implements store.Outbox.
func (s *Store) AuditTrail(ctx context.Context, afterSeq int64, limit int) ([]store.OutboxMessage, error) {
	rows, err := s.read.QueryContext(ctx, s.d.rebind("SELECT "+outboxCols+" FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?"),
		afterSeq, limitArg(limit))
	if err != nil {
		return nil, s.d.Wrap("sqlstore: AuditTrail", err)
	}
	ms, err := collect(rows, scanOutbox)
	if err != nil {
		return nil, s.d.Wrap("sqlstore: AuditTrail", err)
	}
	return ms, nil
}

// PruneOutbox implements store.Outbox.
func (s *Store) PruneOutbox(ctx context.Context, sentBefore time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.d.rebind("DELETE FROM outbox WHERE seq IS NULL AND sent_at IS NOT NULL AND sent_at < ?"),
		s.d.timeArg(sentBefore))
	if err != nil {
		return 0, s.d.Wrap("sqlstore: PruneOutbox", err)
	}
	n, err := res.RowsAffected()
	return n, s.d.Wrap("sqlstore: PruneOutbox", err)
}

// limitArg turns "limit <= 0 means all" into a LIMIT argument.
func limitArg(limit int) int64 {
	if limit <= 0 {
		return math.MaxInt64
	}
	return int64(limit)
}

// collect scans every row and closes rows.
func collect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
