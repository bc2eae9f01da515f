package store

import (
	"context"
	"time"
)

// Gauges are the counts the broker's metrics report at each scrape. Each
// method runs one short read of its own.
type Gauges interface {
	// OutboxBacklog counts the outbox messages not yet published (audit
	// records waiting to be chained included) and returns the creation
	// time of the oldest (zero when there is none).
	OutboxBacklog(ctx context.Context) (n int64, oldest time.Time, err error)
	// ActiveJobsByState counts the jobs not ended, by state.
	ActiveJobsByState(ctx context.Context) (map[string]int64, error)
}
