package request

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/events"
)

// Canceller handles job.cancel_requested: the job's owner, or a principal
// whose role allows cancelling others, may cancel a job the broker started.
type Canceller struct {
	Store     store.Store
	Audit     Auditor
	Verifier  decision.TokenVerifier
	Policy    decision.PolicySource
	Directory decision.Directory // nil: groups come from trusted token claims
	Dataproc  interface {
		Cancel(ctx context.Context, c dataproc.Caller, sub dataproc.Submission) error
	}
	Caller dataproc.Caller // the broker's own credential
	Source string
	Wake   func()
	Now    func() time.Time
}

// Handle implements worker.Handler. A refused cancel is a permanent fault,
// which the worker audits as event rejected with its reason.
func (c *Canceller) Handle(ctx context.Context, e event.Event) error {
	cr, err := events.DecodeCancelRequest(e)
	if err != nil {
		return err
	}
	p, err := c.Verifier.Verify(ctx, cr.IDToken)
	if err != nil {
		return err
	}
	groups, entry, err := c.groups(ctx, p)
	if err != nil {
		return err
	}
	id := p.ID
	if entry.UserName != "" {
		id = entry.UserName // jobs are recorded under the directory's name
	}
	var job store.Job
	err = c.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		job, err = tx.GetJob(ctx, cr.RequestID)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c.withdraw(ctx, e, cr, id, entry.UserID)
	case err != nil:
		return err
	}
	now := c.now()
	pol := c.Policy.Current()
	if pol == nil {
		return fault.AsTransient(decision.ReasonPolicyUnavailable, errors.New("no active policy"))
	}
	d := pol.EvaluateCancel(policy.CancelRequest{
		Principal:     policy.Principal{ID: id, Email: p.Email, Type: p.Type, Issuer: p.Issuer, Groups: groups},
		Owner:         job.Principal,
		Target:        policy.Target{Project: job.Project, Region: job.Region, Cluster: job.Cluster},
		Justification: cr.Reason,
		Time:          now,
	})
	if !d.Allowed {
		return fault.Permanentf(policy.CodeCancelDenied, "%s may not cancel the job of request %s", id, cr.RequestID)
	}
	if job.Ended {
		zerolog.Ctx(ctx).Info().Str("request_id", job.RequestID).Str("state", job.State).Msg("cancel of an ended job: nothing to do")
		return nil
	}
	defer watch.Hold(ctx, c.Store, []string{job.RequestID}, c.now)()
	err = c.Dataproc.Cancel(ctx, c.Caller, watch.Submission(job))
	if state, ended := dataproc.EndedState(err); ended {
		// Nothing was cancelled: the watcher reports how it ended.
		zerolog.Ctx(ctx).Info().Str("request_id", job.RequestID).Str("state", state).Msg("cancel of a job that had already ended: nothing to do")
		return nil
	}
	if err != nil {
		return err
	}
	return c.record(ctx, e, job, id, cr.Reason, d.Reasons)
}

// record audits the cancel as a state change to CANCELLING and makes the
// watcher look at the job now.
func (c *Canceller) record(ctx context.Context, e event.Event, job store.Job, by, why string, reasons []policy.Reason) error {
	detail := fmt.Sprintf("cancel requested by %s", by)
	if len(reasons) > 0 {
		detail += " (" + reasons[0].Code + ")"
	}
	if why != "" {
		detail += ": " + why
	}
	err := c.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetJob(ctx, job.RequestID)
		if err != nil || cur.Ended || cur.State == "CANCELLING" {
			return err // it ended, or a cancel is already recorded
		}
		ev, err := events.NewJobStateChanged(c.Source, events.StateChange{
			RequestID: cur.RequestID, Resource: cur.Resource, PreviousState: cur.State, State: "CANCELLING",
			Detail: truncateString(detail, 1024),
		}, events.WithCause(e), events.WithRequestID(cur.RequestID), events.WithSubject(cur.RequestID))
		if err != nil {
			return err
		}
		if _, err := tx.UpdateJobState(ctx, cur.RequestID, "CANCELLING", false, c.now(), ev.ID()); err != nil {
			return err
		}
		return c.Audit.Append(ctx, tx, ev)
	})
	if err == nil && c.Wake != nil {
		c.Wake()
	}
	return err
}

// groups returns the principal's groups and directory entry (zero when the
// directory is off).
func (c *Canceller) groups(ctx context.Context, p identity.Principal) ([]string, decision.Entry, error) {
	if c.Directory == nil {
		return p.Groups, decision.Entry{}, nil
	}
	entry, err := c.Directory.Lookup(ctx, p)
	switch {
	case errors.Is(err, decision.ErrNotFound):
		return nil, entry, fault.Permanentf(decision.ReasonPrincipalUnknown, "%s is not in the directory", p.ID)
	case err != nil:
		return nil, entry, err
	case entry.Locked || !entry.Active:
		return nil, entry, fault.Permanentf(decision.ReasonPrincipalLocked, "%s is locked or deactivated", p.ID)
	}
	return entry.Groups, entry, nil
}

func (c *Canceller) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ReasonWithdrawn denies a request that waited for approvers and that its
// requester cancelled.
const ReasonWithdrawn = "request_withdrawn"

// withdraw cancels the requester's own request that waits for approvers
// (no job was started for it): it is denied, caused by the cancel. Anyone
// else's, or a request that does not wait, has no job to cancel.
func (c *Canceller) withdraw(ctx context.Context, e event.Event, cr events.CancelRequest, by, userID string) error {
	done := false
	err := c.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		done = false
		rs, err := tx.ListApprovalRequests(ctx, store.ApprovalQuery{RequestID: cr.RequestID, Status: store.ApprovalPending})
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.UserID != "" && r.UserID != userID || r.UserID == "" && !strings.EqualFold(r.Principal, by) {
				continue
			}
			msg := "withdrawn by the requester while it waited for approvers"
			if cr.Reason != "" {
				msg += ": " + cr.Reason
			}
			ok, err := approval.Cancel(ctx, tx, c.Audit, c.Source, r, events.Reason{Code: ReasonWithdrawn, Message: truncateString(msg, 1024)}, e.ID(), c.now())
			if err != nil {
				return err
			}
			done = done || ok
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case !done:
		return fault.Permanentf("job_not_found", "no job was started for request %s", cr.RequestID)
	}
	if c.Wake != nil {
		c.Wake()
	}
	zerolog.Ctx(ctx).Info().Str("request_id", cr.RequestID).Str("by", by).Msg("a request that waited for approvers was withdrawn")
	return nil
}
