package sqlstore

import (
	"context"
	"sort"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

// ClaimDueJobs implements store.JobClaims. Like ClaimOutbox it is one
// statement, outside the audit chain's lock: the due rows are picked with
// SKIP LOCKED where the dialect has it, and SQLite serialises writers.
func (s *Store) ClaimDueJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Job, error) {
	const op = "sqlstore: ClaimDueJobs"
	if lease <= 0 || limit <= 0 {
		return nil, invalid("ClaimDueJobs: lease %v, limit %d: need positive values", lease, limit)
	}
	q := `UPDATE jobs SET next_poll_at = ?
	      WHERE request_id IN (SELECT request_id FROM jobs WHERE NOT ended AND next_poll_at <= ?
	                           ORDER BY next_poll_at, request_id LIMIT ?` + s.d.SkipLocked + `)
	      RETURNING ` + jobCols
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), s.d.timeArg(now.Add(lease)), s.d.timeArg(now), limit)
	if err != nil {
		return nil, s.d.Wrap(op, err)
	}
	js, err := collect(rows, scanJob)
	if err != nil {
		return nil, s.d.Wrap(op, err)
	}
	sort.Slice(js, func(i, j int) bool { return js[i].RequestID < js[j].RequestID })
	return js, nil
}

// ReleaseJobs implements store.JobClaims.
func (s *Store) ReleaseJobs(ctx context.Context, requestIDs []string, at time.Time) error {
	for _, chunk := range chunks(requestIDs) {
		q := "UPDATE jobs SET next_poll_at = ? WHERE NOT ended AND request_id IN (" + placeholders(len(chunk)) + ")"
		if _, err := s.db.ExecContext(ctx, s.d.rebind(q), append([]any{s.d.timeArg(at)}, anys(chunk)...)...); err != nil {
			return s.d.Wrap("sqlstore: ReleaseJobs", err)
		}
	}
	return nil
}
