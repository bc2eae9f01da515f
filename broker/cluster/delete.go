package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// ReasonClusterNotFound refuses a delete of a cluster the broker never approved.
const ReasonClusterNotFound = "cluster_not_found"

// deleteRequested deletes a cluster for its owner, or for a principal
// whose role may cancel others' work on the cluster's location (the same
// rule as cancelling a job). A cluster already gone is reported as such.
func (h *Handler) deleteRequested(ctx context.Context, e event.Event, dr events.ClusterDeleteRequest) error {
	id, err := h.Identity.Identify(ctx, dr.IDToken)
	if err != nil {
		return err
	}
	if id.Code != "" {
		return fault.Permanentf(id.Code, "%s", id.Message)
	}
	var c store.Cluster
	err = h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err = tx.GetCluster(ctx, dr.RequestID)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fault.Permanentf(ReasonClusterNotFound, "no cluster was approved for request %s", dr.RequestID)
	case err != nil:
		return err
	}
	pol := h.Policy.Current()
	if pol == nil {
		return fault.AsTransient(decision.ReasonPolicyUnavailable, errors.New("no active policy"))
	}
	d := pol.EvaluateCancel(policy.CancelRequest{Principal: id.Principal, Owner: c.Principal,
		Target: policy.Target{Project: c.Project, Region: c.Region, Cluster: c.Name}, Justification: dr.Reason, Time: h.now()})
	if !d.Allowed {
		return fault.Permanentf(policy.CodeCancelDenied, "%s may not delete the cluster of request %s", id.Principal.ID, dr.RequestID)
	}
	if c.Ended {
		zerolog.Ctx(ctx).Info().Str("request_id", c.RequestID).Str("state", c.State).Msg("delete of a cluster that has already ended: nothing to do")
		return nil
	}
	marked := false
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetCluster(ctx, c.RequestID)
		if err != nil || cur.Ended || cur.DeleteReason != "" {
			return err // ended, or being deleted already
		}
		cur.DeleteReason, cur.DeleteCause, cur.NextPollAt = events.DeletedRequested, e.ID(), h.now()
		marked = true
		return tx.PutCluster(ctx, cur)
	})
	if err != nil || !marked {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("request_id", c.RequestID).Str("by", id.Principal.ID).Msg("cluster delete requested")
	return h.deleteNow(ctx, c)
}

// deleteNow deletes a stored cluster the broker has decided to delete (its
// DeleteReason is set) and records what happened: DELETING when Dataproc
// accepted (caused by the delete's cause), the cluster's end when it was
// already gone. A cluster Dataproc cannot delete yet, or one not created
// yet, is left to the watcher.
func (h *Handler) deleteNow(ctx context.Context, c store.Cluster) error {
	if h.Dataproc == nil {
		return nil
	}
	err := h.Dataproc.DeleteCluster(ctx, h.Caller, handle(c))
	switch {
	case fault.ReasonOf(err) == dataproc.ReasonBusy:
		return nil // the watcher deletes it once Dataproc lets it
	case err != nil && !dataproc.Gone(err):
		return err
	}
	gone := err != nil
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetCluster(ctx, c.RequestID)
		if err != nil || cur.Ended || cur.State == "DELETING" {
			return err
		}
		if gone {
			if cur.UUID == "" {
				return nil // not created yet: the watcher ends it once nothing creates it
			}
			return h.markGone(ctx, tx, cur, events.DeletedLifecycle, causeOf(cur), "already gone when the broker deleted it")
		}
		ev, err := h.stateEvent(cur, "DELETING", false, causeOf(cur), "deleted by the broker: "+cur.DeleteReason)
		if err != nil {
			return err
		}
		cur.State, cur.NextPollAt, cur.LastEventID = "DELETING", h.now(), ev.ID()
		if err := tx.PutCluster(ctx, cur); err != nil {
			return err
		}
		return h.Audit.Append(ctx, tx, ev)
	})
	if err == nil {
		h.wake()
	}
	return err
}

// causeOf is what a cluster's change to DELETING (or its end) is caused
// by: whatever asked for the delete, else the trail's last event.
func causeOf(c store.Cluster) string {
	if c.DeleteCause != "" && c.State != "DELETING" {
		return c.DeleteCause
	}
	return c.LastEventID
}

// markGone ends a cluster Dataproc no longer knows: its access bindings
// went with its IAM policy, and cluster.deleted says why it went.
func (h *Handler) markGone(ctx context.Context, tx store.Tx, cur store.Cluster, reason, causeID, detail string) error {
	now := h.now()
	bs, err := tx.ListBindingsByCluster(ctx, cur.RequestID)
	if err != nil {
		return err
	}
	var titles []string
	for _, b := range bs {
		if b.State == store.BindingRemoved {
			continue
		}
		b.State, b.RemovedAt, b.RemoveReason = store.BindingRemoved, &now, "cluster deleted"
		if err := tx.PutBinding(ctx, b); err != nil {
			return err
		}
		titles = append(titles, b.ID)
	}
	ev, err := events.NewClusterDeleted(h.Source, events.ClusterDeletion{
		RequestID: cur.RequestID, Cluster: cur.Name, Resource: cur.Resource, PreviousState: cur.State, Reason: reason,
		Detail: truncate(detail, 2048), BindingsRemoved: titles,
	}, events.WithCausationID(causeID), events.WithRequestID(cur.RequestID), events.WithSubject(cur.RequestID))
	if err != nil {
		return fmt.Errorf("cluster: build cluster deleted: %w", err)
	}
	cur.State, cur.Ended, cur.LastEventID, cur.NextPollAt = store.ClusterDeleted, true, ev.ID(), now.Add(time.Hour)
	if cur.DeleteReason == "" {
		cur.DeleteReason = reason
	}
	if err := tx.PutCluster(ctx, cur); err != nil {
		return err
	}
	return h.Audit.Append(ctx, tx, ev)
}
