package revoke

import (
	"context"
	"errors"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/directory"
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
		user   events.User
		groups []string
		grants []store.Grant
		work   []workload
		checks []events.RevokeAction
	)
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUser(ctx, m.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted since: the leaver cascade covers it
		}
		if err != nil {
			return err
		}
		if groups, err = directory.GroupNames(ctx, tx, u.ID); err != nil {
			return err
		}
		user = events.User{ID: u.ID, UserName: u.UserName, Active: u.Active, Groups: groups}
		for _, em := range u.Emails {
			user.Emails = append(user.Emails, em.Value)
		}
		for _, p := range principals(user) {
			active, err := tx.ListActiveGrants(ctx, p, started)
			if err != nil {
				return err
			}
			for _, g := range active {
				if h.Binder().Bound(p, groups, g.Role, started) {
					checks = append(checks, events.RevokeAction{Kind: events.ActionRecheckGrant, Resource: "grant/" + g.ID, Outcome: events.ActionSkipped})
					continue
				}
				grants = append(grants, g)
				if j, err := tx.GetJob(ctx, g.RequestID); err == nil && !j.Ended {
					work = append(work, workload{job: j})
				}
			}
		}
		orphans, err := unrecordedWork(ctx, tx, grants, work)
		work = append(work, orphans...)
		return err
	})
	if err != nil || (len(checks) == 0 && len(grants) == 0) {
		return err
	}
	actions, lastCancel := h.cancelAll(ctx, work)
	if lastCancel.IsZero() {
		lastCancel = h.now()
	}
	// finish pairs actions[i] with work[i]: the checks go after the cancels.
	actions = append(actions, checks...)
	trigger := events.Trigger{EventID: e.ID(), EventType: e.Type(), Action: "membership_removed"}
	return h.finish(ctx, e, user, trigger, work, grants, actions, started, lastCancel, "mover: role no longer bound")
}
