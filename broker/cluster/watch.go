package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// WatchConfig tunes a Watcher.
type WatchConfig struct {
	Interval   time.Duration // how often to look for due clusters; default 1s
	MinBackoff time.Duration // first poll delay after a poll without change; default 2s
	MaxBackoff time.Duration // poll delay cap; default 1m
	Batch      int           // clusters per round; default 50
	Lease      time.Duration // how long a claimed cluster is left to this watcher; default 30s
	// ExpiryGrace is how long after its auto-delete time the broker waits
	// for Dataproc to delete a cluster before it deletes it itself;
	// default 1m.
	ExpiryGrace time.Duration
}

func (c *WatchConfig) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 2 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 50
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.ExpiryGrace <= 0 {
		c.ExpiryGrace = time.Minute
	}
}

// Watcher follows the broker's clusters to their end (see the package
// documentation). Watchers on several workers share the work through the
// store's claims.
type Watcher struct {
	h   *Handler
	cfg WatchConfig
}

// NewWatcher returns a watcher that acts through h (its Dataproc, Caller,
// Store and Audit are required).
func NewWatcher(cfg WatchConfig, h *Handler) (*Watcher, error) {
	if h == nil || h.Dataproc == nil || h.Store == nil || h.Audit == nil || h.Source == "" {
		return nil, errors.New("cluster: a watcher needs a handler with Store, Audit, Dataproc and Source")
	}
	cfg.setDefaults()
	return &Watcher{h: h, cfg: cfg}, nil
}

// Run polls until ctx is done.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("cluster watch: poll failed")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll claims the due clusters and checks each; it returns how many it
// checked.
func (w *Watcher) Poll(ctx context.Context) (int, error) {
	if ctx.Err() != nil {
		return 0, nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	cs, err := w.h.Store.ClaimDueClusters(cctx, w.h.now(), w.cfg.Lease, w.cfg.Batch)
	cancel()
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, c := range cs {
		if ctx.Err() != nil {
			break // the rest is due again when the lease runs out
		}
		if err := w.check(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Resource, err))
			w.reschedule(ctx, c, err)
		}
	}
	return len(cs), errors.Join(errs...)
}

func (w *Watcher) check(ctx context.Context, c store.Cluster) error {
	h := w.h
	if c.State == store.ClusterApproved && c.UUID == "" {
		return w.approved(ctx, c)
	}
	if c.DeleteReason != "" && c.State != "DELETING" {
		if err := h.deleteNow(ctx, c); err != nil {
			return err
		}
		return w.after(ctx, c.RequestID, w.cfg.MinBackoff)
	}
	state, detail, _, gone, err := h.Dataproc.ClusterState(ctx, h.Caller, handle(c))
	if err != nil {
		return err
	}
	if gone {
		reason, detail := c.DeleteReason, "deleted by the broker: "+c.DeleteReason
		if reason == "" {
			reason, detail = events.DeletedLifecycle, "gone without the broker deleting it: Dataproc's idle or auto-delete TTL, or a delete outside the broker"
		}
		return w.update(ctx, c.RequestID, func(ctx context.Context, tx store.Tx, cur store.Cluster) error {
			return h.markGone(ctx, tx, cur, reason, cur.LastEventID, detail)
		})
	}
	now := h.now()
	var del string
	switch {
	case state == "ERROR":
		del = events.DeletedFailed
	case state == "RUNNING" && !c.AutoDeleteAt.IsZero() && now.After(c.AutoDeleteAt.Add(w.cfg.ExpiryGrace)):
		del = events.DeletedExpired // Dataproc did not delete it at its TTL: the broker does
	}
	if state == c.State && del == "" {
		return w.backoff(ctx, c)
	}
	var marked store.Cluster
	err = w.update(ctx, c.RequestID, func(ctx context.Context, tx store.Tx, cur store.Cluster) error {
		if state != cur.State {
			ev, err := h.stateEvent(cur, state, false, cur.LastEventID, detail)
			if err != nil {
				return err
			}
			if err := h.Audit.Append(ctx, tx, ev); err != nil {
				return err
			}
			cur.State, cur.LastEventID, cur.Attempts = state, ev.ID(), 0
		}
		if del != "" && cur.DeleteReason == "" {
			cur.DeleteReason, cur.DeleteCause = del, cur.LastEventID
		}
		cur.NextPollAt = now.Add(w.cfg.MinBackoff)
		marked = cur
		return tx.PutCluster(ctx, cur)
	})
	if err != nil || marked.DeleteReason == "" || marked.State == "DELETING" {
		return err
	}
	return h.deleteNow(ctx, marked)
}

// approved checks a cluster that was approved and whose creation was
// never confirmed: one Dataproc has was created by a delivery that died
// before recording it (adopted, and deleted if its owner lost access or
// asked); one Dataproc does not have and that no delivery is creating is
// ended as NOT_CREATED once it is abandoned or asked to be deleted.
func (w *Watcher) approved(ctx context.Context, c store.Cluster) error {
	h := w.h
	state, _, uuid, gone, err := h.Dataproc.ClusterState(ctx, h.Caller, handle(c))
	if err != nil {
		return err
	}
	now := h.now()
	if !gone {
		return w.adopt(ctx, c, state, uuid)
	}
	if c.DeleteReason == "" && now.Before(c.CreatedAt.Add(h.abandonAfter())) {
		return w.after(ctx, c.RequestID, c.CreatedAt.Add(h.abandonAfter()).Sub(now))
	}
	ended := false
	err = w.update(ctx, c.RequestID, func(ctx context.Context, tx store.Tx, cur store.Cluster) error {
		if !waitingOrDeleting(cur) {
			return nil
		}
		free, err := h.claimFree(ctx, tx, cur.RequestKey)
		if err != nil || !free {
			cur.NextPollAt = now.Add(w.cfg.MinBackoff) // a delivery is creating it: look again
			return errors.Join(err, tx.PutCluster(ctx, cur))
		}
		why := "approved but never created: its request was given up"
		if cur.DeleteReason != "" {
			why = "deleted (" + cur.DeleteReason + ") before it was created"
		}
		ended = true
		return h.notCreated(ctx, tx, cur, causeOf(cur), why)
	})
	if ended {
		zerolog.Ctx(ctx).Info().Str("request_id", c.RequestID).Msg("approved cluster never created; ended")
	}
	return err
}

// waitingOrDeleting: approved, not confirmed created, not ended.
func waitingOrDeleting(c store.Cluster) bool {
	return !c.Ended && c.State == store.ClusterApproved && c.UUID == ""
}

// adopt records a cluster Dataproc created for an approval no delivery
// recorded, if no delivery is still at it.
func (w *Watcher) adopt(ctx context.Context, c store.Cluster, state, uuid string) error {
	h := w.h
	var cause, grant string
	free := false
	err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		grants, err := tx.GrantsByRequest(ctx, c.RequestID)
		if err != nil {
			return err
		}
		if n := len(grants); n > 0 {
			cause, grant = grants[n-1].EventID, grants[n-1].ID
		}
		free, err = h.claimFree(ctx, tx, c.RequestKey)
		return err
	})
	if err != nil || !free {
		return errors.Join(err, w.after(ctx, c.RequestID, w.cfg.MinBackoff))
	}
	if cause == "" {
		cause = c.LastEventID
	}
	var cfg storedSpec
	if err := json.Unmarshal([]byte(c.Spec), &cfg); err != nil {
		return err
	}
	cl := handle(c)
	cl.UUID = uuid
	zerolog.Ctx(ctx).Warn().Str("cluster", c.Resource).Str("state", state).Msg("found a cluster created but not recorded; adopting it")
	return h.recordCreated(ctx, c.RequestID, cl, cfg.Config, cause, grant)
}

// backoff keeps the state and pushes the next poll out exponentially, but
// never past the cluster's auto-delete time (plus the grace).
func (w *Watcher) backoff(ctx context.Context, c store.Cluster) error {
	delay := w.cfg.MinBackoff << min(c.Attempts, 16)
	if delay > w.cfg.MaxBackoff || delay <= 0 {
		delay = w.cfg.MaxBackoff
	}
	if !c.AutoDeleteAt.IsZero() {
		if until := c.AutoDeleteAt.Add(w.cfg.ExpiryGrace).Sub(w.h.now()) + time.Second; until > 0 && until < delay {
			delay = until
		}
	}
	return w.update(ctx, c.RequestID, func(ctx context.Context, tx store.Tx, cur store.Cluster) error {
		cur.NextPollAt, cur.Attempts = w.h.now().Add(delay), cur.Attempts+1
		return tx.PutCluster(ctx, cur)
	})
}

// after makes the cluster due again in d.
func (w *Watcher) after(ctx context.Context, requestID string, d time.Duration) error {
	return w.update(ctx, requestID, func(ctx context.Context, tx store.Tx, cur store.Cluster) error {
		cur.NextPollAt = w.h.now().Add(d)
		return tx.PutCluster(ctx, cur)
	})
}

// reschedule backs a cluster off after a failed check (logged by Poll).
func (w *Watcher) reschedule(ctx context.Context, c store.Cluster, cause error) {
	if err := w.backoff(context.WithoutCancel(ctx), c); err != nil {
		zerolog.Ctx(ctx).Warn().Err(errors.Join(cause, err)).Str("cluster", c.Resource).Msg("cluster watch: rescheduling failed")
	}
}

// update runs fn on the stored cluster (as it is now) unless it has ended.
func (w *Watcher) update(ctx context.Context, requestID string, fn func(context.Context, store.Tx, store.Cluster) error) error {
	err := w.h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetCluster(ctx, requestID)
		if err != nil || cur.Ended {
			return err
		}
		return fn(ctx, tx, cur)
	})
	if err == nil {
		w.h.wake()
	}
	return err
}
