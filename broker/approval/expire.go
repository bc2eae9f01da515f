package approval

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Expirer denies the requests nobody approved in time: each gets its
// approval.expired (caused by its job.approval_requested) and the
// job.denied it leads to (approval_expired), in the transaction that
// closes it. Several workers may sweep at once: a request is closed once.
type Expirer struct {
	Store     store.Store
	Audit     Auditor
	Directory bool // as the Handler's: how approvals are counted in the report
	Source    string
	Wake      func()
	Now       func() time.Time
	// Interval between sweeps (default 5s); Batch bounds a sweep (default 100).
	Interval time.Duration
	Batch    int
}

// Run sweeps every Interval until ctx is done.
func (x *Expirer) Run(ctx context.Context) error {
	every := x.Interval
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if n, err := x.Sweep(ctx); err != nil && ctx.Err() == nil {
			zerolog.Ctx(ctx).Warn().Err(err).Int("expired", n).Msg("expiring waiting requests failed; will retry")
		}
	}
}

// Sweep denies up to Batch expired requests and returns how many it
// denied.
func (x *Expirer) Sweep(ctx context.Context) (int, error) {
	now := x.now()
	batch := x.Batch
	if batch <= 0 {
		batch = 100
	}
	var due []store.ApprovalRequest
	err := x.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		due, err = tx.ListApprovalRequests(ctx, store.ApprovalQuery{Status: store.ApprovalPending, ExpiresBefore: now, Limit: batch})
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range due {
		done, err := x.expire(ctx, r.RequestKey, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("request %s: %w", r.RequestID, err))
		}
		if done {
			n++
			zerolog.Ctx(ctx).Info().Str("request_id", r.RequestID).Str("principal", r.Principal).Msg("request denied: nobody approved it in time")
		}
	}
	if n > 0 && x.Wake != nil {
		x.Wake()
	}
	return n, errors.Join(errs...)
}

func (x *Expirer) expire(ctx context.Context, key string, now time.Time) (bool, error) {
	var done bool
	err := x.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		done = false
		r, err := tx.GetApprovalRequest(ctx, key)
		if err != nil || r.Status != store.ApprovalPending || now.Before(r.ExpiresAt) {
			return err // answered or expired by another worker meanwhile
		}
		counts, _, err := Checker{Directory: x.Directory}.Count(ctx, tx, r)
		if err != nil {
			return err
		}
		var p events.Principal
		if err := jsonUnmarshal(r.Requester, &p); err != nil {
			return err
		}
		exp, err := events.NewApprovalExpired(x.Source, events.ApprovalExpiry{
			RequestID: r.RequestID, Principal: p, ExpiresAt: r.ExpiresAt.UTC(), Counts: counts,
		}, trail(r, r.EventID)...)
		if err != nil {
			return err
		}
		reason := events.Reason{Code: ReasonExpired, Message: "nobody approved the request before " + r.ExpiresAt.UTC().Format(time.RFC3339) + ": " + progress(counts)}
		if err := x.Audit.Append(ctx, tx, exp); err != nil {
			return err
		}
		done = true
		return settle(ctx, tx, x.Audit, x.Source, r, false, reason, counts, exp.ID(), now)
	})
	return done, err
}

func (x *Expirer) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}
