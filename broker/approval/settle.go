package approval

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// trail are the options that put an event in a waiting request's trail,
// caused by the event with id cause.
func trail(r store.ApprovalRequest, cause string) []events.Option {
	opts := []events.Option{events.WithCausationID(cause), events.WithRequestID(r.RequestID), events.WithSubject(r.RequestID)}
	if r.Traceparent != "" {
		opts = append(opts, events.WithTraceparent(r.Traceparent))
	}
	return opts
}

// settled is the job.approved or job.denied that settles a waiting
// request's decision d, caused by the event with id cause (the
// approval.recorded that completed or rejected it, or its
// approval.expired), with the approvals as they counted.
func settled(source string, r store.ApprovalRequest, d store.Decision, approved bool, reason events.Reason,
	counts []events.ApprovalCount, cause string, at time.Time) (event.Event, error) {
	var p events.Principal
	var facts events.RequestFacts
	if err := json.Unmarshal(r.Requester, &p); err != nil {
		return event.Event{}, fmt.Errorf("approval: requester of %s: %w", r.RequestID, err)
	}
	if err := json.Unmarshal(r.Facts, &facts); err != nil {
		return event.Event{}, fmt.Errorf("approval: request of %s: %w", r.RequestID, err)
	}
	jd := events.JobDecision{
		RequestID: r.RequestID, Principal: &p, Outcome: events.OutcomeDenied, Reasons: []events.Reason{reason},
		Binding: r.Binding, Role: r.Role, PolicyVersion: r.PolicyVersion,
		Input:     events.DecisionInput{Request: facts, Time: at.UTC(), Stage: Stage},
		Approvals: counts,
	}
	if !approved {
		return events.NewJobDenied(source, jd, trail(r, cause)...)
	}
	jd.Outcome, jd.ServiceAccount = events.OutcomeApproved, d.ServiceAccount
	jd.MaxDuration, jd.CredentialLifetime = d.MaxDuration.String(), d.CredentialLifetime.String()
	return events.NewJobApproved(source, jd, trail(r, cause)...)
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("approval: stored request: %w", err)
	}
	return nil
}

// Cancel denies a waiting request whose requester lost access (a leaver,
// or a mover who no longer holds the role), with the job.denied caused by
// the event with id cause (the cascade's access.revoked). It reports
// whether the request was still waiting.
func Cancel(ctx context.Context, tx store.Tx, audit Auditor, source string, r store.ApprovalRequest, reason events.Reason,
	cause string, now time.Time) (bool, error) {
	cur, err := tx.GetApprovalRequest(ctx, r.RequestKey)
	if err != nil || cur.Status != store.ApprovalPending {
		return false, err
	}
	counts, _, err := Checker{Directory: true}.Count(ctx, tx, cur)
	if err != nil {
		return false, err
	}
	return true, settle(ctx, tx, audit, source, cur, false, reason, counts, cause, now)
}

// settle closes a waiting request and settles its decision, with the
// job.approved or job.denied that says so, caused by the event with id
// cause.
func (h *Handler) settle(ctx context.Context, tx store.Tx, r store.ApprovalRequest, approved bool, reason events.Reason,
	counts []events.ApprovalCount, cause string, now time.Time) error {
	return settle(ctx, tx, h.Audit, h.Source, r, approved, reason, counts, cause, now)
}

// settle is shared by the handler, the expirer and the cascades. A
// request is settled once: one that no longer waits is left as it is and
// nothing is audited.
func settle(ctx context.Context, tx store.Tx, audit Auditor, source string, r store.ApprovalRequest, approved bool,
	reason events.Reason, counts []events.ApprovalCount, cause string, now time.Time) error {
	d, err := tx.GetDecision(ctx, r.RequestKey)
	if err != nil {
		return err
	}
	ev, err := settled(source, r, d, approved, reason, counts, cause, now)
	if err != nil {
		return err
	}
	status, outcome, until := store.ApprovalRejected, store.OutcomeDenied, time.Time{}
	switch {
	case approved:
		status, outcome = store.ApprovalApproved, store.OutcomeApproved
		if r.Window > 0 {
			until = now.Add(r.Window)
		}
	case reason.Code == ReasonExpired:
		status = store.ApprovalExpired
	case reason.Code != ReasonRejected:
		status = store.ApprovalCancelled
	}
	closed, err := tx.CloseApprovalRequest(ctx, r.RequestKey, status, ev.ID(), now, until)
	if err != nil || !closed {
		return err
	}
	if _, err := tx.ResolveDecision(ctx, r.RequestKey, outcome, ev.ID(), []string{reason.Code}); err != nil {
		return err
	}
	return audit.Append(ctx, tx, ev)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
