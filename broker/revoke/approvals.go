package revoke

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Reasons of the denial of a request that waited for approvers when its
// requester lost access (the request handler's in-flight reasons).
const (
	reasonLocked = "principal_locked_in_flight"
	reasonRole   = "role_revoked_in_flight"
)

// approvalWork is what a cascade does to approvals: the owner's requests
// that wait for approvers (denied), and the answers the owner gave to
// requests that still wait (withdrawn: they stop counting).
type approvalWork struct {
	requests []store.ApprovalRequest
	reason   string // the denial's reason code
	answers  []store.Approval
}

func (w approvalWork) empty() bool { return len(w.requests) == 0 && len(w.answers) == 0 }

// waiting returns the owner's requests that wait for approvers and the
// answers the owner gave that still count: those recorded under the user
// id and, for records without one, under the user's names.
func (o owner) waiting(ctx context.Context, tx store.Tx) ([]store.ApprovalRequest, []store.Approval, error) {
	reqs, err := tx.ListApprovalRequests(ctx, store.ApprovalQuery{Status: store.ApprovalPending, UserID: o.userID})
	if err != nil {
		return nil, nil, err
	}
	answers, err := tx.ApprovalsByApprover(ctx, o.userID)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range o.names() {
		rs, err := tx.ListApprovalRequests(ctx, store.ApprovalQuery{Status: store.ApprovalPending, Principal: name})
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rs {
			if r.UserID == "" && !slices.ContainsFunc(reqs, func(x store.ApprovalRequest) bool { return x.RequestKey == r.RequestKey }) {
				reqs = append(reqs, r)
			}
		}
		as, err := tx.ApprovalsByApprover(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		answers = append(answers, as...)
	}
	return reqs, answers, nil
}

// stillApproves reports whether the owner, with the groups they have now,
// may still approve the waiting request with that key: a member of one of
// its approving groups.
func stillApproves(ctx context.Context, tx store.Tx, key string, groups []string) (bool, error) {
	r, err := tx.GetApprovalRequest(ctx, key)
	if err != nil {
		return false, err
	}
	for _, req := range r.Requirements {
		for _, g := range groups {
			if slices.Contains(req.Approvers, strings.ToLower(g)) {
				return true, nil
			}
		}
	}
	return false, nil
}

// withdraw makes the owner's answers stop counting and returns the
// actions that say so. It runs before the access.revoked is built.
func (h *Handler) withdraw(ctx context.Context, tx store.Tx, w approvalWork, why string, now time.Time) ([]events.RevokeAction, error) {
	var acts []events.RevokeAction
	for _, a := range w.answers {
		changed, err := tx.WithdrawApproval(ctx, a.RequestKey, a.ApproverID, why, now)
		if err != nil {
			return nil, err
		}
		r, err := tx.GetApprovalRequest(ctx, a.RequestKey)
		if err != nil {
			return nil, err
		}
		act := events.RevokeAction{Kind: events.ActionWithdrawApproval, Resource: "approval/" + r.RequestID, Outcome: events.ActionSucceeded,
			Detail: "the " + a.Verdict + " answer to a request that waits no longer counts"}
		if !changed {
			act.Outcome, act.Detail = events.ActionSkipped, "already withdrawn"
		}
		acts = append(acts, act)
	}
	for _, r := range w.requests {
		cur, err := tx.GetApprovalRequest(ctx, r.RequestKey)
		if err != nil {
			return nil, err
		}
		act := events.RevokeAction{Kind: events.ActionDenyRequest, Resource: "request/" + r.RequestID, Outcome: events.ActionSucceeded,
			Detail: "waited for approvers: denied (" + w.reason + ")"}
		if cur.Status != store.ApprovalPending {
			act.Outcome, act.Detail = events.ActionSkipped, "no longer waits ("+cur.Status+")"
		}
		acts = append(acts, act)
	}
	return acts, nil
}

// denyWaiting denies the owner's waiting requests, each with a job.denied
// caused by the access.revoked revID (appended before).
func (h *Handler) denyWaiting(ctx context.Context, tx store.Tx, w approvalWork, revID string, now time.Time) error {
	for _, r := range w.requests {
		msg := "the requester was locked or deactivated while the request waited for approvers"
		if w.reason == reasonRole {
			msg = "the requester no longer holds role " + r.Role + " (a mover) while the request waited for approvers"
		}
		if _, err := approval.Cancel(ctx, tx, h.Audit, h.Source, r, events.Reason{Code: w.reason, Message: msg}, revID, now); err != nil {
			return err
		}
	}
	return nil
}
