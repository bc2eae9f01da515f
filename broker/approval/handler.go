package approval

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Auditor appends audit events; audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, tx store.Tx, e event.Event) error
}

// Resumer runs an approved request from where it paused;
// *request.Handler implements it.
type Resumer interface {
	Resume(ctx context.Context, requestKey string) error
}

// Handler handles approval.granted and approval.rejected. A refused
// answer is a permanent fault, which the worker audits as event.rejected
// with its reason.
type Handler struct {
	Store    store.Store
	Audit    Auditor
	Verifier decision.TokenVerifier
	// Directory makes the store's directory the authority on approvers
	// (as on requesters); Checker counts with the same setting.
	Directory bool
	// Resumer runs a request once approved; nil only decides.
	Resumer Resumer
	Source  string
	Wake    func()
	Now     func() time.Time
}

// Types are the event types the handler takes.
func (h *Handler) Types() []string { return []string{events.ApprovalGranted, events.ApprovalRejected} }

// Handle implements worker.Handler: verify the approver's token, find the
// request the answer names, check that the approver may answer it, and
// record and count the answer with its audit event, in one transaction
// that also settles the decision when the answer completes or rejects the
// request. An approved request then goes on where it paused.
func (h *Handler) Handle(ctx context.Context, e event.Event) error {
	v, err := events.DecodeApprovalVerdict(e)
	if err != nil {
		return err
	}
	verdict := store.VerdictGranted
	if e.Type() == events.ApprovalRejected {
		verdict = store.VerdictRejected
	}
	if key, again, err := h.redelivered(ctx, e, v); err != nil || again {
		if err == nil && key != "" && h.Resumer != nil {
			return h.Resumer.Resume(ctx, key)
		}
		return err
	}
	p, err := h.Verifier.Verify(ctx, v.IDToken)
	if err != nil {
		return err // token_* (permanent), or the issuer is down (transient)
	}
	key, err := h.find(ctx, v)
	if err != nil {
		return err
	}
	var (
		resume bool
		out    string
	)
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		resume, out = false, ""
		r, err := tx.GetApprovalRequest(ctx, key)
		if err != nil {
			return err
		}
		a, err := resolve(ctx, tx, p, h.Directory)
		if err != nil {
			return err
		}
		if done, err := h.answered(ctx, tx, r, a, e); done || err != nil {
			resume = done && r.Status == store.ApprovalApproved
			return err
		}
		if err := h.open(r); err != nil {
			return err
		}
		if err := a.eligible(r); err != nil {
			return err
		}
		resume, out, err = h.record(ctx, tx, e, r, a, verdict, v.Comment)
		return err
	})
	if err != nil {
		return err
	}
	if h.Wake != nil {
		h.Wake()
	}
	if out != "" {
		zerolog.Ctx(ctx).Info().Str("request_id", v.RequestID).Str("verdict", verdict).Str("approver", p.ID).
			Str("fingerprint", p.TokenFingerprint).Msg("approval recorded: " + out)
	}
	if resume && h.Resumer != nil {
		return h.Resumer.Resume(ctx, key)
	}
	return nil
}

// redelivered reports whether e is an answer already counted: the same
// event (source and id), the same token (by fingerprint) and the same
// request digest. Its approved request, if any, is resumed again (in case
// the delivery that approved it stopped before it ran) even if the token
// has expired since; key is "" when there is nothing to resume.
func (h *Handler) redelivered(ctx context.Context, e event.Event, v events.ApprovalVerdict) (key string, again bool, err error) {
	fp := identity.Fingerprint(v.IDToken)
	err = h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		rs, err := tx.ListApprovalRequests(ctx, store.ApprovalQuery{RequestID: v.RequestID})
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.RequestDigest != v.RequestDigest {
				continue
			}
			answers, err := tx.ListApprovals(ctx, r.RequestKey)
			if err != nil {
				return err
			}
			for _, a := range answers {
				if a.EventKey == store.EventKey(e.Source(), e.ID()) && a.TokenFingerprint == fp {
					again = true
					if r.Status == store.ApprovalApproved {
						key = r.RequestKey
					}
					return nil
				}
			}
		}
		return nil
	})
	return key, again, err
}

// find returns the key of the request the answer names: its id and its
// digest must both match. Ids are unique per source only, and the digest
// binds the answer to one request body.
func (h *Handler) find(ctx context.Context, v events.ApprovalVerdict) (string, error) {
	var rs []store.ApprovalRequest
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		rs, err = tx.ListApprovalRequests(ctx, store.ApprovalQuery{RequestID: v.RequestID})
		return err
	})
	if err != nil {
		return "", err
	}
	if len(rs) == 0 {
		return "", fault.Permanentf(ReasonUnknownRequest, "no request %s waits, or waited, for approvers", v.RequestID)
	}
	for _, r := range rs {
		if r.RequestDigest == v.RequestDigest {
			return r.RequestKey, nil
		}
	}
	return "", fault.Permanentf(ReasonDigestMismatch, "the approval names request %s with digest %s, which is not the request's: it was given for another request body",
		v.RequestID, v.RequestDigest)
}

// answered reports whether the approver answered r already. The same
// answer delivered again (the same event) is done: an approved request is
// resumed again, in case the delivery that approved it stopped before it
// ran. Another answer of the same approver is refused: an approver counts
// once.
func (h *Handler) answered(ctx context.Context, tx store.Tx, r store.ApprovalRequest, a approver, e event.Event) (bool, error) {
	answers, err := tx.ListApprovals(ctx, r.RequestKey)
	if err != nil {
		return false, err
	}
	for _, prev := range answers {
		switch {
		case prev.ApproverID != a.id:
		case prev.EventKey == store.EventKey(e.Source(), e.ID()):
			return true, nil
		default:
			return false, fault.Permanentf(ReasonDuplicate, "%s answered request %s already (%s): an approver counts once", a.name, r.RequestID, prev.Verdict)
		}
	}
	return false, nil
}

// open refuses an answer to a request that no longer waits.
func (h *Handler) open(r store.ApprovalRequest) error {
	switch {
	case r.Status == store.ApprovalExpired || r.Status == store.ApprovalPending && !h.now().Before(r.ExpiresAt):
		return fault.Permanentf(ReasonExpired, "request %s expired at %s: it no longer takes approvals", r.RequestID, r.ExpiresAt.Format(time.RFC3339))
	case r.Status != store.ApprovalPending:
		return fault.Permanentf(ReasonNotPending, "request %s is %s: it no longer takes approvals", r.RequestID, r.Status)
	}
	return nil
}

// record stores the answer, counts the approvals, audits the answer and,
// when it completes or rejects the request, settles the decision.
func (h *Handler) record(ctx context.Context, tx store.Tx, e event.Event, r store.ApprovalRequest, a approver, verdict, comment string) (bool, string, error) {
	now := h.now()
	recID := uuid.NewString()
	err := tx.PutApproval(ctx, store.Approval{
		RequestKey: r.RequestKey, ApproverID: a.id, Approver: a.name, Verdict: verdict,
		EventKey: store.EventKey(e.Source(), e.ID()), EventID: recID, TokenFingerprint: a.token.TokenFingerprint,
		TokenGroups: a.token.Groups, Comment: comment, At: now,
	})
	if errors.Is(err, store.ErrConflict) { // a concurrent answer of the same approver
		return false, "", fault.Permanentf(ReasonDuplicate, "%s answered request %s already: an approver counts once", a.name, r.RequestID)
	}
	if err != nil {
		return false, "", err
	}
	counts, met, err := Checker{Directory: h.Directory}.Count(ctx, tx, r)
	if err != nil {
		return false, "", err
	}
	rejected := verdict == store.VerdictRejected
	rec, err := events.NewApprovalRecorded(h.Source, events.RecordedApproval{
		RequestID: r.RequestID, Verdict: verdict, Approver: a.principal(), ApprovalEventID: e.ID(),
		TokenFingerprint: a.token.TokenFingerprint, Comment: comment, Counts: counts, Complete: rejected || met,
	}, append([]events.Option{events.WithID(recID), events.WithCause(e)}, trail(r, e.ID())...)...)
	if err != nil {
		return false, "", fmt.Errorf("approval: build approval recorded: %w", err)
	}
	if err := h.Audit.Append(ctx, tx, rec); err != nil {
		return false, "", err
	}
	switch {
	case rejected:
		msg := "rejected by " + a.name
		if comment != "" {
			msg += ": " + comment
		}
		reason := events.Reason{Code: ReasonRejected, Message: truncate(msg, 1024)}
		return false, "rejected", h.settle(ctx, tx, r, false, reason, counts, rec.ID(), now)
	case met:
		reason := events.Reason{Code: ReasonGranted, Message: "approved: " + progress(counts)}
		return true, "approved", h.settle(ctx, tx, r, true, reason, counts, rec.ID(), now)
	}
	return false, progress(counts), nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
