package revoke

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// ClusterCascade deletes a principal's clusters; *cluster.Handler
// implements it.
type ClusterCascade interface {
	CascadeDelete(ctx context.Context, c store.Cluster) (events.RevokeAction, error)
	CascadeRecord(ctx context.Context, tx store.Tx, c store.Cluster, a events.RevokeAction, reason, revID string) error
	Sweep(ctx context.Context, principal string, known []store.Cluster) []events.RevokeAction
}

// BindingCascade removes a principal's access bindings; *access.Handler
// implements it.
type BindingCascade interface {
	CascadeRemove(ctx context.Context, bs []store.Binding) ([]events.RevokeAction, []error)
	CascadeRecord(ctx context.Context, tx store.Tx, b store.Binding, a events.RevokeAction, reason string) error
}

// takings are the clusters and bindings a cascade takes away, what it did
// to each, and when its last call returned.
type takings struct {
	reason         string // events.DeletedLeaver or events.DeletedMover
	clusters       []store.Cluster
	clusterActions []events.RevokeAction
	bindings       []store.Binding
	bindingActions []events.RevokeAction
	swept          []events.RevokeAction
	failed         []error // transient failures: the cascade is retried
	last           time.Time
}

// owned returns the owner's clusters not ended and bindings not removed:
// by user id, and records without one under the user's names.
func (o owner) owned(ctx context.Context, tx store.Tx) ([]store.Cluster, []store.Binding, error) {
	cs, err := tx.ListActiveClustersByUser(ctx, o.userID)
	if err != nil {
		return nil, nil, err
	}
	bs, err := tx.ListActiveBindingsByUser(ctx, o.userID)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range o.names() {
		more, err := tx.ListActiveClustersByPrincipal(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range more {
			if c.UserID == "" {
				cs = append(cs, c)
			}
		}
		mb, err := tx.ListActiveBindingsByPrincipal(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range mb {
			if b.UserID == "" {
				bs = append(bs, b)
			}
		}
	}
	return cs, bs, nil
}

// takeAway deletes the clusters and removes the bindings (clusters and
// bindings concurrently, each bounded by Parallel), then sweeps Dataproc
// for clusters of the principal the store does not know.
func (h *Handler) takeAway(ctx context.Context, principal, reason string, cs []store.Cluster, bs []store.Binding) *takings {
	t := &takings{reason: reason, clusters: cs, bindings: bs, clusterActions: make([]events.RevokeAction, len(cs))}
	if h.Clusters == nil {
		t.clusters = nil
	}
	if h.Access == nil {
		t.bindings = nil
	}
	var mu sync.Mutex
	done := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if now := h.now(); now.After(t.last) {
			t.last = now
		}
		if err != nil && !fault.IsPermanent(err) {
			t.failed = append(t.failed, err)
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, h.parallel())
	for i, c := range t.clusters {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a, err := h.Clusters.CascadeDelete(ctx, c)
			t.clusterActions[i] = a
			done(err)
		}()
	}
	if len(t.bindings) > 0 {
		wg.Go(func() {
			acts, errs := h.Access.CascadeRemove(ctx, t.bindings)
			t.bindingActions = acts
			done(errors.Join(errs...))
		})
	}
	wg.Wait()
	if h.Clusters != nil && len(t.clusters) > 0 {
		t.swept = h.Clusters.Sweep(ctx, principal, t.clusters)
		for _, a := range t.swept {
			if a.Outcome == events.ActionFailed {
				t.failed = append(t.failed, fault.AsTransient("cluster_sweep_failed", errors.New(a.Error)))
			}
		}
		done(nil)
	}
	return t
}

// actions are every action of the takings, for access.revoked.
func (t *takings) actions() []events.RevokeAction {
	if t == nil {
		return nil
	}
	out := append(append([]events.RevokeAction{}, t.clusterActions...), t.bindingActions...)
	return append(out, t.swept...)
}

// record records each cluster's and binding's outcome in the cascade's
// transaction, caused by the access.revoked revID.
func (h *Handler) record(ctx context.Context, tx store.Tx, t *takings, revID string) error {
	if t == nil {
		return nil
	}
	for i, c := range t.clusters {
		if err := h.Clusters.CascadeRecord(ctx, tx, c, t.clusterActions[i], t.reason, revID); err != nil {
			return err
		}
	}
	for i, b := range t.bindings {
		if err := h.Access.CascadeRecord(ctx, tx, b, t.bindingActions[i], t.reason); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) parallel() int {
	if h.Parallel > 0 {
		return h.Parallel
	}
	return 32
}
