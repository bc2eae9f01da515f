package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// ReconcileConfig tunes a Reconciler.
type ReconcileConfig struct {
	// Interval is how often expired bindings are removed; default 10s.
	Interval time.Duration
	// DriftEvery is how often each cluster's IAM policy is compared with
	// the store; default 1m.
	DriftEvery time.Duration
	// Batch bounds the expired bindings removed per round; default 200.
	Batch int
}

func (c *ReconcileConfig) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = 10 * time.Second
	}
	if c.DriftEvery <= 0 {
		c.DriftEvery = time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 200
	}
}

// Reconciler removes expired bindings and finds IAM drift (see the package
// documentation). Reconcilers on several workers take turns: a round runs
// under a claim one worker holds.
type Reconciler struct {
	h         *Handler
	cfg       ReconcileConfig
	lastDrift time.Time
	// missing counts, per grant, the drift rounds in a row that saw it
	// ACTIVE without its binding: reported when the second does (a cascade
	// removes a binding from IAM a moment before it records the removal),
	// and once.
	missing map[string]int
}

// NewReconciler returns a reconciler acting through h (IAM, Caller, Store,
// Audit and Source are required).
func NewReconciler(cfg ReconcileConfig, h *Handler) (*Reconciler, error) {
	if h == nil || h.IAM == nil || h.Store == nil || h.Audit == nil || h.Source == "" {
		return nil, errors.New("access: a reconciler needs a handler with Store, Audit, IAM and Source")
	}
	cfg.setDefaults()
	return &Reconciler{h: h, cfg: cfg}, nil
}

// Run reconciles until ctx is done.
func (r *Reconciler) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		if err := r.Round(ctx); err != nil && ctx.Err() == nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("access reconciler: round failed")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

const roundKey = "access-reconciler"

// Round removes the bindings whose time is up and, every DriftEvery,
// compares each running cluster's IAM policy with the store. It runs only
// if this worker holds the round's claim.
func (r *Reconciler) Round(ctx context.Context) error {
	holder := request.NewHolder()
	var got bool
	err := r.h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.ClaimEffect(ctx, roundKey, holder, r.h.now(), 3*r.cfg.Interval)
		return err
	})
	if err != nil || !got {
		return err
	}
	defer func() {
		_ = r.h.Store.Update(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
			return tx.ReleaseEffect(ctx, roundKey, holder)
		}) // it expires on its own
	}()
	err = r.Expire(ctx)
	if now := r.h.now(); now.Sub(r.lastDrift) >= r.cfg.DriftEvery {
		r.lastDrift = now
		err = errors.Join(err, r.Drift(ctx))
	}
	return err
}

// Expire removes the bindings whose expiry has passed and reports each as
// access.expired, caused by the binding's last event.
func (r *Reconciler) Expire(ctx context.Context) error {
	h := r.h
	var due []store.Binding
	clusters := map[string]store.Cluster{}
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if due, err = tx.ListExpiredBindings(ctx, h.now(), r.cfg.Batch); err != nil {
			return err
		}
		for _, b := range due {
			if _, ok := clusters[b.ClusterRequestID]; ok {
				continue
			}
			c, err := tx.GetCluster(ctx, b.ClusterRequestID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			clusters[b.ClusterRequestID] = c
		}
		return nil
	})
	if err != nil || len(due) == 0 {
		return err
	}
	byCluster := map[string][]store.Binding{}
	for _, b := range due {
		byCluster[b.ClusterRequestID] = append(byCluster[b.ClusterRequestID], b)
	}
	var errs []error
	for id, bs := range byCluster {
		c := clusters[id]
		titles := make([]string, len(bs))
		for i, b := range bs {
			titles[i] = b.ID
		}
		var removed []string
		if c.Resource != "" && !c.Ended {
			var err error
			removed, err = h.IAM.RemoveBindings(ctx, h.Caller, clusterOf(c), titles...)
			if err != nil && !dataproc.Gone(err) {
				errs = append(errs, fmt.Errorf("%s: %w", c.Resource, err))
				continue // retried next round
			}
		}
		if err := h.recordExpired(ctx, bs, removed); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// recordExpired marks the bindings removed, with an access.expired each
// (outcome removed if it was in the policy, absent if not).
func (h *Handler) recordExpired(ctx context.Context, bs []store.Binding, removed []string) error {
	was := map[string]bool{}
	for _, t := range removed {
		was[t] = true
	}
	err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		now := h.now()
		for _, b := range bs {
			cur, err := tx.GetBinding(ctx, b.ID)
			if err != nil {
				return err
			}
			if cur.State == store.BindingRemoved {
				continue // a cascade or the cluster's end came first
			}
			outcome := events.BindingAbsent
			if was[b.ID] {
				outcome = events.BindingRemoved
			}
			ev, err := events.NewAccessExpired(h.Source, events.AccessExpiry{
				RequestID: cur.RequestID, Resource: cur.Resource, IAMRole: cur.IAMRole, Member: cur.Member,
				ConditionTitle: cur.ID, ExpiresAt: cur.ExpiresAt.UTC(), Outcome: outcome,
			}, events.WithCausationID(cur.EventID), events.WithRequestID(cur.RequestID), events.WithSubject(cur.RequestID))
			if err != nil {
				return err
			}
			cur.State, cur.RemovedAt, cur.RemoveReason, cur.EventID = store.BindingRemoved, &now, "expired", ev.ID()
			if err := tx.PutBinding(ctx, cur); err != nil {
				return err
			}
			if err := h.Audit.Append(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		h.wake()
	}
	return err
}
