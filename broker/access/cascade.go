package access

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// CascadeRemove removes bindings for a revocation cascade, one
// read-modify-write per cluster (clusters in parallel), and returns one
// action per binding, in order: succeeded when it was in the policy,
// skipped when it was not (never added, or gone with its cluster), failed
// with the error otherwise. errs[i] is the error of a failed action.
func (h *Handler) CascadeRemove(ctx context.Context, bs []store.Binding) (actions []events.RevokeAction, errs []error) {
	actions, errs = make([]events.RevokeAction, len(bs)), make([]error, len(bs))
	byCluster := map[string][]int{}
	for i, b := range bs {
		byCluster[b.Resource] = append(byCluster[b.Resource], i)
		actions[i] = events.RevokeAction{Kind: events.ActionRemoveBinding, Resource: b.Resource + "/iamBindings/" + b.ID, Outcome: events.ActionSucceeded}
	}
	var wg sync.WaitGroup
	for res, idx := range byCluster {
		wg.Go(func() {
			titles := make([]string, len(idx))
			for k, i := range idx {
				titles[k] = bs[i].ID
			}
			removed, err := h.IAM.RemoveBindings(ctx, h.Caller, parseResource(res), titles...)
			for _, i := range idx {
				a := &actions[i]
				switch {
				case dataproc.Gone(err):
					a.Outcome, a.Detail = events.ActionSkipped, "the cluster is gone, and its IAM policy with it"
				case err != nil:
					a.Outcome, a.Error, errs[i] = events.ActionFailed, truncate(err.Error(), 512), err
				case !slices.Contains(removed, bs[i].ID):
					a.Outcome, a.Detail = events.ActionSkipped, "the binding was not in the policy (never added, or removed already)"
				}
			}
		})
	}
	wg.Wait()
	return actions, errs
}

// CascadeRecord marks a binding removed in the cascade's transaction,
// unless its removal failed (it is then retried with the cascade).
func (h *Handler) CascadeRecord(ctx context.Context, tx store.Tx, b store.Binding, a events.RevokeAction, reason string) error {
	if a.Outcome == events.ActionFailed {
		return nil
	}
	cur, err := tx.GetBinding(ctx, b.ID)
	if err != nil || cur.State == store.BindingRemoved {
		return err
	}
	now := h.now()
	cur.State, cur.RemovedAt, cur.RemoveReason = store.BindingRemoved, &now, reason
	return tx.PutBinding(ctx, cur)
}

// parseResource is the handle of projects/P/regions/R/clusters/C.
func parseResource(res string) dataproc.Cluster {
	p := strings.Split(res, "/")
	if len(p) != 6 {
		return dataproc.Cluster{Resource: res}
	}
	return dataproc.Cluster{Project: p[1], Region: p[3], Name: p[5], Resource: res}
}
