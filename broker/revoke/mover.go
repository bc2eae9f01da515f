package revoke

import (
	"context"
	"errors"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// mover re-checks the active grants of each user removed from the group
// against the groups they still have, and takes back what no longer holds:
// the grant is revoked and its job cancelled.
func (h *Handler) mover(ctx context.Context, e event.Event, mc events.MembershipChange) error {
	var errs []error
	for _, m := range mc.Removed {
		if err := h.recheck(ctx, e, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) recheck(ctx context.Context, e event.Event, m events.Member) error {
	started := h.now()
	var (
		who      owner
		grants   []store.Grant
		work     []workload
		checks   []events.RevokeAction
		aw       = approvalWork{reason: reasonRole}
		clusters []store.Cluster
		bindings []store.Binding
	)
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUser(ctx, m.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted since: the leaver cascade covers it
		}
		if err != nil {
			return err
		}
		if who, err = ownerOf(ctx, tx, u); err != nil {
			return err
		}
		active, err := who.grants(ctx, tx, started)
		if err != nil {
			return err
		}
		for _, g := range active {
			// The user's groups now, from the directory, not the event.
			if h.Binder().Bound(who.principal.ID, who.principal.Groups, g.Role, started) {
				checks = append(checks, events.RevokeAction{Kind: events.ActionRecheckGrant, Resource: "grant/" + g.ID, Outcome: events.ActionSkipped})
				continue
			}
			grants = append(grants, g)
			if j, err := tx.GetJob(ctx, g.RequestID); err == nil && !j.Ended {
				work = append(work, workload{job: j})
			}
		}
		if aw, err = h.recheckApprovals(ctx, tx, who, started); err != nil {
			return err
		}
		if clusters, bindings, err = h.unbound(ctx, tx, who, started); err != nil {
			return err
		}
		orphans, err := unrecordedWork(ctx, tx, grants, work)
		work = append(work, orphans...)
		return err
	})
	if err != nil || (len(checks) == 0 && len(grants) == 0 && aw.empty() && len(clusters) == 0 && len(bindings) == 0) {
		return err
	}
	defer h.hold(ctx, work)()
	actions, lastCancel := h.cancelAll(ctx, work)
	taken := h.takeAway(ctx, who.principal.ID, events.DeletedMover, clusters, bindings)
	if taken.last.After(lastCancel) {
		lastCancel = taken.last
	}
	if lastCancel.IsZero() {
		lastCancel = h.now()
	}
	// finish pairs actions[i] with work[i]: the checks go after the cancels.
	actions = append(actions, checks...)
	trigger := events.Trigger{EventID: e.ID(), EventType: e.Type(), Action: "membership_removed"}
	return h.finish(ctx, e, who, trigger, work, grants, aw, actions, taken, started, lastCancel, "mover: role no longer bound")
}

// recheckApprovals re-checks a mover's approvals against the groups they
// have now: a waiting request whose role they no longer hold is denied,
// and an answer they gave stops counting once they are in none of the
// request's approving groups.
func (h *Handler) recheckApprovals(ctx context.Context, tx store.Tx, who owner, at time.Time) (approvalWork, error) {
	aw := approvalWork{reason: reasonRole}
	reqs, answers, err := who.waiting(ctx, tx)
	if err != nil {
		return aw, err
	}
	for _, r := range reqs {
		if !h.Binder().Bound(who.principal.ID, who.principal.Groups, r.Role, at) {
			aw.requests = append(aw.requests, r)
		}
	}
	for _, a := range answers {
		ok, err := stillApproves(ctx, tx, a.RequestKey, append(who.principal.Groups, a.TokenGroups...))
		if err != nil {
			return aw, err
		}
		if !ok {
			aw.answers = append(aw.answers, a)
		}
	}
	return aw, nil
}

// unbound returns the mover's clusters created under a role, and bindings
// granted under a role, that the user's groups no longer give them.
func (h *Handler) unbound(ctx context.Context, tx store.Tx, who owner, at time.Time) ([]store.Cluster, []store.Binding, error) {
	if h.Clusters == nil && h.Access == nil {
		return nil, nil, nil
	}
	cs, bs, err := who.owned(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	bound := func(role string) bool { return h.Binder().Bound(who.principal.ID, who.principal.Groups, role, at) }
	var lostC []store.Cluster
	for _, c := range cs {
		if !bound(c.Role) {
			lostC = append(lostC, c)
		}
	}
	var lostB []store.Binding
	for _, b := range bs {
		d, err := tx.GetDecision(ctx, b.RequestKey)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		if d.Role == "" || !bound(d.Role) {
			lostB = append(lostB, b)
		}
	}
	return lostC, lostB, nil
}
