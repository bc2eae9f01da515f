package request

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
)

// Reasons an approved request is stopped before it runs (or, if its
// workload was already submitted, cancelled).
const (
	// ReasonRevokedInFlight: the principal was locked or deactivated
	// after the approval (a leaver).
	ReasonRevokedInFlight = "principal_locked_in_flight"
	// ReasonRoleRevokedInFlight: the principal no longer holds the
	// approved role (a mover, or a policy change).
	ReasonRoleRevokedInFlight = "role_revoked_in_flight"
)

// refusedInFlight reports whether err stops an approved request in flight.
func refusedInFlight(err error) bool { return RefusedInFlight(err) }

// RefusedInFlight reports whether err stops an approved request in flight
// (Entitled refused it).
func RefusedInFlight(err error) bool {
	r := fault.ReasonOf(err)
	return r == ReasonRevokedInFlight || r == ReasonRoleRevokedInFlight || r == approval.ReasonWithdrawnInFlight
}

// entitled re-checks an approval before each step that acts on it: the
// principal must still be one active, unlocked directory user and still
// hold the approved role under the current policy. With the directory
// disabled, only a lock the directory knows of is checked (the groups came
// from the token). A principal
// that vanished or became ambiguous is refused, and a store error or a
// missing policy is returned for a retry: never let through when unsure.
func (h *Handler) entitled(ctx context.Context, tx store.Tx, d store.Decision) error {
	if err := h.stillApproved(ctx, tx, d); err != nil {
		return err
	}
	return Entitled(ctx, tx, d, h.Directory, h.Policy, h.now())
}

// Entitled is the check of every step that acts on an approval (see
// Handler.entitled; approvals by approvers are the job path's alone), for
// the other kinds of request that act on one (clusters, access):
// directoryOn says whether the directory is the authority, pol (nil:
// skip) is the policy whose bindings must still give the principal the
// approved role at now.
func Entitled(ctx context.Context, tx store.Tx, d store.Decision, directoryOn bool, pol decision.PolicySource, now time.Time) error {
	u, err := recordedUser(ctx, tx, d.UserID, d.Principal)
	switch {
	case errors.Is(err, store.ErrNotFound) && !directoryOn:
		return nil
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict):
		return fault.Permanentf(ReasonRevokedInFlight, "%s is no longer a single active directory user; nothing was submitted", d.Principal)
	case err != nil:
		return err
	case u.Locked || !u.Active:
		return fault.Permanentf(ReasonRevokedInFlight, "%s was locked after the request was approved; nothing was submitted", d.Principal)
	case pol == nil || !directoryOn:
		return nil // the decision's groups came from the token: nothing to compare
	}
	p := pol.Current()
	if p == nil {
		return fault.AsTransient(decision.ReasonPolicyUnavailable, errors.New("no active policy"))
	}
	groups, err := directory.GroupNames(ctx, tx, u.ID)
	if err != nil {
		return err
	}
	if !p.Bound(strings.ToLower(u.UserName), groups, d.Role, now) {
		return fault.Permanentf(ReasonRoleRevokedInFlight, "%s no longer holds role %s; nothing was submitted", d.Principal, d.Role)
	}
	return nil
}

// stillApproved re-checks, for a decision its approvers settled, that
// their approvals still hold: approvals are re-checked at the moment of
// use, so an approver who left or lost the approving group since stops
// the request here.
func (h *Handler) stillApproved(ctx context.Context, tx store.Tx, d store.Decision) error {
	if !slices.Contains(d.Reasons, approval.ReasonGranted) {
		return nil
	}
	if h.Approvals == nil {
		return fault.Permanentf(approval.ReasonWithdrawnInFlight, "request %s was approved by approvers, and this broker cannot re-check approvals", d.RequestID)
	}
	return h.Approvals.Holds(ctx, tx, d.RequestKey)
}

// recordedUser is the directory user a decision, job or grant was recorded
// for: by its user id, which never changes, or, for a record without one
// (the directory off, or written before user ids were kept), by name.
func recordedUser(ctx context.Context, tx store.Tx, userID, principal string) (store.User, error) {
	if userID != "" {
		return tx.GetUser(ctx, userID)
	}
	return directory.ByName(ctx, tx, principal)
}
