package sqlstore

import (
	"context"
	"time"
)

// OutboxBacklog implements store.Gauges (on the unsent rows' index).
func (s *Store) OutboxBacklog(ctx context.Context) (int64, time.Time, error) {
	var n int64
	var oldest *time.Time
	err := s.read.QueryRowContext(ctx, "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE sent_at IS NULL").
		Scan(&n, nullTimeCol{&oldest})
	if err != nil {
		return 0, time.Time{}, s.d.Wrap("sqlstore: OutboxBacklog", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}

// ActiveJobsByState implements store.Gauges.
func (s *Store) ActiveJobsByState(ctx context.Context) (map[string]int64, error) {
	const op = "sqlstore: ActiveJobsByState"
	rows, err := s.read.QueryContext(ctx, "SELECT state, COUNT(*) FROM jobs WHERE NOT ended GROUP BY state")
	if err != nil {
		return nil, s.d.Wrap(op, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, s.d.Wrap(op, err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, s.d.Wrap(op, err)
	}
	return out, nil
}
