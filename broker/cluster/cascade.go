package cluster

import (
	"context"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// CascadeDelete deletes a cluster for a revocation cascade (a leaver, a
// mover who lost the role) and returns the action the cascade reports:
// succeeded when Dataproc accepted the delete (cluster.deleted follows),
// skipped when the cluster was already gone, deferred when Dataproc cannot
// delete it yet (still CREATING) or it is not created yet (its creation
// re-checks the principal), failed otherwise. Its Error is marked
// transient by a leading retry mark when the cascade should be retried
// (see revoke). CascadeRecord records the outcome.
func (h *Handler) CascadeDelete(ctx context.Context, c store.Cluster) (events.RevokeAction, error) {
	a := events.RevokeAction{Kind: events.ActionDeleteCluster, Resource: c.Resource, Outcome: events.ActionSucceeded, State: "DELETING"}
	err := h.Dataproc.DeleteCluster(ctx, h.Caller, handle(c))
	switch {
	case err == nil:
	case dataproc.Gone(err) && c.UUID == "":
		a.Outcome, a.State = events.ActionDeferred, ""
		a.Detail = "approved but not created: should a creation be under way, the cluster is deleted as soon as it exists; else it is ended as never created"
	case dataproc.Gone(err):
		a.Outcome, a.State, a.Detail = events.ActionSkipped, store.ClusterDeleted, "the cluster was already gone: nothing to delete"
	case fault.ReasonOf(err) == dataproc.ReasonBusy:
		a.Outcome, a.State = events.ActionDeferred, "CREATING"
		a.Detail = "Dataproc deletes no cluster while it is being created: the broker deletes it as soon as it can (cluster.deleted follows)"
	default:
		a.Outcome, a.Error = events.ActionFailed, truncate(err.Error(), 512)
		return a, err
	}
	return a, nil
}

// CascadeRecord records, in the cascade's transaction, what CascadeDelete
// did: the cluster marked for deletion (so that the watcher finishes or
// retries it) with reason and the access.revoked revID as its cause, its
// change to DELETING, or its end when it was already gone.
func (h *Handler) CascadeRecord(ctx context.Context, tx store.Tx, c store.Cluster, a events.RevokeAction, reason, revID string) error {
	cur, err := tx.GetCluster(ctx, c.RequestID)
	if err != nil || cur.Ended {
		return err
	}
	if cur.DeleteReason == "" {
		cur.DeleteReason, cur.DeleteCause = reason, revID
	}
	cur.NextPollAt = h.now()
	switch {
	case a.Outcome == events.ActionSkipped:
		return h.markGone(ctx, tx, cur, events.DeletedLifecycle, revID, "already gone when the revocation cascade deleted it")
	case a.Outcome == events.ActionSucceeded && cur.State != "DELETING":
		ev, err := h.stateEvent(cur, "DELETING", false, revID, "deleted by the revocation cascade ("+reason+")")
		if err != nil {
			return err
		}
		cur.State, cur.LastEventID = "DELETING", ev.ID()
		if err := h.Audit.Append(ctx, tx, ev); err != nil {
			return err
		}
	}
	return tx.PutCluster(ctx, cur)
}

// Sweep lists, in each location of the clusters known, the clusters
// Dataproc has with the principal's label that the store does not know of
// (known by name), and deletes them: a cluster the store lost track of
// goes with its owner too. It returns one action per cluster found.
func (h *Handler) Sweep(ctx context.Context, principal string, known []store.Cluster) []events.RevokeAction {
	lister, ok := h.Dataproc.(interface {
		PrincipalClusters(ctx context.Context, c dataproc.Caller, project, region, principal string) ([]dataproc.Cluster, error)
	})
	if !ok {
		return nil
	}
	names, locs := map[string]bool{}, map[[2]string]bool{}
	for _, c := range known {
		names[c.Resource], locs[[2]string{c.Project, c.Region}] = true, true
	}
	var out []events.RevokeAction
	for loc := range locs {
		found, err := lister.PrincipalClusters(ctx, h.Caller, loc[0], loc[1], principal)
		if err != nil {
			out = append(out, events.RevokeAction{Kind: events.ActionDeleteCluster, Resource: "projects/" + loc[0] + "/regions/" + loc[1],
				Outcome: events.ActionFailed, Error: truncate("listing the principal's clusters: "+err.Error(), 512)})
			continue
		}
		for _, cl := range found {
			if names[cl.Resource] {
				continue
			}
			a := events.RevokeAction{Kind: events.ActionDeleteCluster, Resource: cl.Resource, Outcome: events.ActionSucceeded, State: "DELETING",
				Detail: "found by its iis-principal label, unknown to the store"}
			if err := h.Dataproc.DeleteCluster(ctx, h.Caller, cl); err != nil && !dataproc.Gone(err) {
				a.Outcome, a.State, a.Error = events.ActionFailed, "", truncate(err.Error(), 512)
			}
			out = append(out, a)
		}
	}
	return out
}
