package request

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/outbox"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// ApprovalChecker counts a request's approvals as they stand now;
// approval.Checker implements it.
type ApprovalChecker interface {
	Count(ctx context.Context, tx store.Tx, r store.ApprovalRequest) ([]events.ApprovalCount, bool, error)
	Holds(ctx context.Context, tx store.Tx, requestKey string) error
}

var _ ApprovalChecker = approval.Checker{}

// Reasons a request that needs approval is denied instead of waiting.
const (
	// ReasonSecretProperty: the request carries a secret-looking property
	// value, and the broker keeps no secret while a request waits.
	ReasonSecretProperty = "approval_secret_property"
	// ReasonNoApprovals: the broker runs without approvals (no checker).
	ReasonNoApprovals = "approval_unavailable"
)

// pause handles a decision that needs approvers. A request an open
// approval window of the requester covers is approved (out is changed to
// say so; done is false, and the caller records it with the window's
// approvals); one that cannot wait is denied the same way. Otherwise the
// decision is recorded as pending, with the waiting request and its
// job.approval_requested (audited and published to the approvals topic),
// in one transaction, and done is true.
func (h *Handler) pause(ctx context.Context, e event.Event, req events.JobRequest, out *decision.Outcome, at time.Time,
	digest string) (d store.Decision, windowed []events.ApprovalCount, done bool, err error) {
	need := *out.Decision.Approval
	if code, msg := h.cannotWait(req); code != "" {
		refuse(out, code, msg)
		return d, nil, false, nil
	}
	key := store.EventKey(e.Source(), e.ID())
	d = record(key, e.ID(), principalID(*out, req.IDToken), *out, at)
	if w, counts, ok, err := h.window(ctx, d, need, at); err != nil || ok {
		if ok {
			allow(out, policy.Reason{Code: approval.ReasonWindow, Role: d.Role,
				Message: fmt.Sprintf("covered until %s by the approval of request %s", w.WindowUntil.UTC().Format(time.RFC3339), w.RequestID)})
		}
		return d, counts, false, err
	}
	pd := out.Decision
	d.Outcome, d.RequestDigest = store.OutcomePending, digest
	d.ServiceAccount, d.MaxDuration, d.CredentialLifetime = pd.ServiceAccount, pd.MaxDuration, pd.CredentialLifetime
	p := approval.Pending{
		Request: e, Facts: req.Facts(), Requester: *requester(*out), Principal: d.Principal, UserID: d.UserID,
		Role: pd.Role, Binding: pd.Binding, Account: pd.ServiceAccount, Version: pd.Version, Need: need,
		Digest: digest, At: at, URL: h.ApprovalURL,
	}
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		chain, err := chainOf(ctx, tx, d, out.Principal)
		if err != nil {
			return err
		}
		p.Chain = chain
		r, ev, err := p.Build(h.Source)
		if err != nil {
			return err
		}
		d.EventID = ev.ID()
		first, err := tx.RecordDecision(ctx, d)
		if err != nil {
			return err
		}
		if !first { // a concurrent delivery decided first: keep its decision
			if d, err = tx.GetDecision(ctx, key); err != nil {
				return err
			}
			return SameRequest(d, digest)
		}
		if err := tx.PutApprovalRequest(ctx, r); err != nil {
			return err
		}
		if h.Notify != "" { // the same event, unchained, for the bridges
			if err := outbox.Enqueue(ctx, tx, h.Notify, ev); err != nil {
				return err
			}
		}
		return h.Audit.Append(ctx, tx, ev)
	})
	if err != nil {
		return d, nil, true, err
	}
	h.wake()
	zerolog.Ctx(ctx).Info().Str("outcome", d.Outcome).Str("principal", d.Principal).Str("role", d.Role).
		Str("policy_version", d.PolicyVersion).Msg("job request waits for approval")
	return d, nil, true, nil
}

// cannotWait says why a request that needs approval cannot wait for it.
func (h *Handler) cannotWait(req events.JobRequest) (code, msg string) {
	if h.Approvals == nil {
		return ReasonNoApprovals, "the request needs approval and this broker takes no approvals"
	}
	for k := range req.Job.Properties {
		if events.SecretProperty(k) {
			return ReasonSecretProperty, fmt.Sprintf("the request needs approval and carries a secret-looking property (%s): the broker keeps no secret while a request waits; pass it another way", k)
		}
	}
	return "", ""
}

// window returns the requester's approved request whose approval window
// is open at `at` and covers need (every rule it asks for), if its
// approvals still hold now.
func (h *Handler) window(ctx context.Context, d store.Decision, need policy.Approval, at time.Time) (store.ApprovalRequest, []events.ApprovalCount, bool, error) {
	if need.Window <= 0 {
		return store.ApprovalRequest{}, nil, false, nil
	}
	q := store.ApprovalQuery{Status: store.ApprovalApproved, Role: d.Role, WindowAfter: at}
	if q.UserID = d.UserID; q.UserID == "" {
		q.Principal = d.Principal
	}
	var (
		found  store.ApprovalRequest
		counts []events.ApprovalCount
		ok     bool
	)
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		open, err := tx.ListApprovalRequests(ctx, q)
		if err != nil {
			return err
		}
		for _, w := range slices.Backward(open) { // the newest first
			if !covers(w, need) {
				continue
			}
			if counts, ok, err = h.Approvals.Count(ctx, tx, w); err != nil || ok {
				found = w
				return err
			}
		}
		return nil
	})
	return found, counts, ok, err
}

// covers reports whether an approved request's rules include every rule
// need asks for, each with at least as many approvers.
func covers(w store.ApprovalRequest, need policy.Approval) bool {
	for _, n := range need.Requirements {
		if !slices.ContainsFunc(w.Requirements, func(r store.ApprovalRequirement) bool {
			return r.Rule == n.Rule && r.Count >= n.Count && slices.Equal(r.Approvers, n.Approvers)
		}) {
			return false
		}
	}
	return true
}

// chainOf is the requester's chain: the directory user and the principals
// it acts for, or the principal alone without a directory user.
func chainOf(ctx context.Context, tx store.Tx, d store.Decision, p identity.Principal) ([]string, error) {
	if d.UserID == "" {
		return []string{d.Principal}, nil
	}
	u, err := tx.GetUser(ctx, d.UserID)
	if err != nil {
		return nil, err
	}
	return directory.Chain(ctx, tx, u, p.Type == identity.TypeWorkload)
}

// refuse turns a decision that needs approval into a denial, the reason
// first.
func refuse(out *decision.Outcome, code, msg string) {
	pd := &out.Decision
	pd.Allowed, pd.Approval = false, nil
	pd.Reasons = append([]policy.Reason{{Code: code, Role: pd.Role, Message: msg}}, pd.Reasons...)
}

// allow turns a decision that needs approval into an approval, for the
// reason given (last).
func allow(out *decision.Outcome, r policy.Reason) {
	pd := &out.Decision
	pd.Allowed, pd.Approval = true, nil
	pd.Reasons = append(pd.Reasons, r)
}
