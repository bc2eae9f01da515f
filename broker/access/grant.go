package access

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// ReasonClusterGone: the cluster went before its binding could be added.
const ReasonClusterGone = "access_cluster_gone"

// grant adds the approved binding to the cluster's IAM policy and records
// it as ACTIVE with its access.granted. Adding is idempotent (the binding's
// title derives from the request), so a redelivery adds it once. The
// principal is re-checked after the write: one who lost access meanwhile
// (the cascade ran before the binding was there) has it removed again.
func (h *Handler) grant(ctx context.Context, e event.Event, d store.Decision) error {
	title := Title(d.RequestKey)
	var b store.Binding
	var c store.Cluster
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if b, err = tx.GetBinding(ctx, title); err != nil {
			return err
		}
		if c, err = tx.GetCluster(ctx, b.ClusterRequestID); err != nil {
			return err
		}
		return request.Entitled(ctx, tx, d, h.Directory, h.Policy, h.now())
	})
	switch {
	case request.RefusedInFlight(err):
		return h.withdraw(ctx, c, b, err, "the principal lost access before the binding was added")
	case err != nil:
		return err
	case b.State != store.BindingPending:
		return nil // granted by an earlier delivery, or removed since
	case c.Ended:
		return h.withdraw(ctx, c, b, fault.Permanentf(ReasonClusterGone, "cluster %s is gone: no binding was added", c.Name), "cluster gone")
	}
	attempts, err := h.IAM.AddBinding(ctx, h.Caller, clusterOf(c), binding(b))
	switch {
	case dataproc.Gone(err):
		return h.withdraw(ctx, c, b, fault.Permanentf(ReasonClusterGone, "cluster %s is gone: no binding was added", c.Name), "cluster gone")
	case err != nil:
		return err
	}
	var refusal error
	var removed bool
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetBinding(ctx, title)
		if err != nil {
			return err
		}
		if cur.State == store.BindingRemoved {
			removed = true // a cascade took it back while it was being added
			return nil
		}
		if cur.State == store.BindingActive {
			return nil
		}
		if refusal = request.Entitled(ctx, tx, d, h.Directory, h.Policy, h.now()); request.RefusedInFlight(refusal) {
			return nil
		} else if refusal != nil {
			return refusal
		}
		ev, err := events.NewAccessGranted(h.Source, events.AccessGrant{
			RequestID: cur.RequestID, Resource: cur.Resource, IAMRole: cur.IAMRole, Member: cur.Member,
			Condition: events.IAMCondition{Title: cur.ID, Description: description(cur), Expression: binding(cur).Expression()},
			ExpiresAt: cur.ExpiresAt.UTC(), Attempts: attempts,
		}, events.WithCauseIn(e, d.EventID), events.WithSubject(cur.RequestID))
		if err != nil {
			return fmt.Errorf("access: build access granted: %w", err)
		}
		cur.State, cur.EventID = store.BindingActive, ev.ID()
		if err := tx.PutBinding(ctx, cur); err != nil {
			return err
		}
		return h.Audit.Append(ctx, tx, ev)
	})
	switch {
	case err != nil:
		return err
	case refusal != nil:
		return h.withdraw(ctx, c, b, refusal, "the principal lost access while the binding was added")
	case removed:
		_, err := h.IAM.RemoveBindings(ctx, h.Caller, clusterOf(c), title)
		if dataproc.Gone(err) {
			err = nil
		}
		return err
	}
	h.wake()
	zerolog.Ctx(ctx).Info().Str("cluster", b.Resource).Str("member", b.Member).Str("iam_role", b.IAMRole).
		Time("expires", b.ExpiresAt).Int("attempts", attempts).Msg("access granted")
	return nil
}

// withdraw removes a binding that must not be there (an earlier delivery
// may have added it), marks it removed, and returns why.
func (h *Handler) withdraw(ctx context.Context, c store.Cluster, b store.Binding, why error, reason string) error {
	if c.Resource != "" && !c.Ended && h.IAM != nil {
		if _, err := h.IAM.RemoveBindings(ctx, h.Caller, clusterOf(c), b.ID); err != nil && !dataproc.Gone(err) {
			return err // retried: the binding may be in the policy
		}
	}
	err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetBinding(ctx, b.ID)
		if err != nil || cur.State == store.BindingRemoved {
			return err
		}
		now := h.now()
		cur.State, cur.RemovedAt, cur.RemoveReason = store.BindingRemoved, &now, reason
		return tx.PutBinding(ctx, cur)
	})
	if err != nil {
		return err
	}
	return why
}

// binding is the IAM binding of a stored binding.
func binding(b store.Binding) dataproc.Binding {
	return dataproc.Binding{Role: b.IAMRole, Member: b.Member, Title: b.ID, Description: description(b), Expires: b.ExpiresAt}
}

func description(b store.Binding) string {
	return "dataproc-iis access request " + b.RequestID
}
