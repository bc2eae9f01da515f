package revoke

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/events"
)

// Canceller cancels workloads; *dataproc.Submitter implements it.
type Canceller interface {
	Cancel(ctx context.Context, c dataproc.Caller, sub dataproc.Submission) error
}

// Auditor appends audit events; audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, tx store.Tx, e event.Event) error
}

// Binder says whether a role is still bound to a principal with the given
// groups; *policy.Policy implements it.
type Binder interface {
	Bound(principalID string, groups []string, role string, at time.Time) bool
}

// Handler runs cascades. Parallel bounds concurrent cancels (default 32):
// the Dataproc limiter paces them anyway, and cancels jump its queue.
type Handler struct {
	Store    store.Store
	Audit    Auditor
	Dataproc Canceller
	Caller   dataproc.Caller
	Binder   func() Binder // the active policy
	// Clusters and Access, when set, also delete the principal's clusters
	// and remove their access bindings.
	Clusters ClusterCascade
	Access   BindingCascade
	Source   string
	Parallel int
	Wake     func()
	Now      func() time.Time
}

// Types are the identity event types the handler takes.
func (h *Handler) Types() []string {
	return []string{events.UserDeactivated, events.UserDeleted, events.UserReactivated, events.UserUpdated,
		events.UserProvisioned, events.GroupMembershipChanged}
}

// Handle implements worker.Handler.
func (h *Handler) Handle(ctx context.Context, e event.Event) error {
	switch e.Type() {
	case events.UserDeactivated, events.UserDeleted:
		uc, err := events.DecodeUserChange(e)
		if err != nil {
			return err
		}
		return h.leaver(ctx, e, uc)
	case events.GroupMembershipChanged:
		mc, err := events.DecodeMembershipChange(e)
		if err != nil {
			return err
		}
		return h.mover(ctx, e, mc)
	default:
		// Joiners, attribute updates and reactivations grant nothing: access
		// comes from the next decision, which reads the directory.
		return nil
	}
}

// ReasonStale refuses an identity event the directory does not bear out
// (a deactivation of a user the directory says is active and unlocked): a
// stale or forged event revokes nothing.
const ReasonStale = "identity_event_stale"

// leaver runs the cascade for the user the event names, on the directory's
// state re-read by user id, never on what the event says: the user's jobs
// and grants are found by that id, so a user renamed before leaving loses
// them too.
func (h *Handler) leaver(ctx context.Context, e event.Event, uc events.UserChange) error {
	started := h.now()
	var (
		who      owner
		work     []workload
		grants   []store.Grant
		aw       = approvalWork{reason: reasonLocked}
		clusters []store.Cluster
		bindings []store.Binding
	)
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if who, err = leaverOf(ctx, tx, uc.User.ID); err != nil {
			return err
		}
		js, gs, err := who.holdings(ctx, tx, started)
		if err != nil {
			return err
		}
		if aw.requests, aw.answers, err = who.waiting(ctx, tx); err != nil {
			return err
		}
		work, grants = recorded(js), gs
		if clusters, bindings, err = who.owned(ctx, tx); err != nil {
			return err
		}
		orphans, err := unrecordedWork(ctx, tx, grants, work)
		work = append(work, orphans...)
		return err
	})
	if err != nil {
		return err
	}
	who.fill(grants, work, clusters)
	var taken *takings
	var actions []events.RevokeAction
	var lastCancel time.Time
	defer h.hold(ctx, work)()
	var wg sync.WaitGroup
	wg.Go(func() { actions, lastCancel = h.cancelAll(ctx, work) })
	wg.Go(func() { taken = h.takeAway(ctx, who.principal.ID, events.DeletedLeaver, clusters, bindings) })
	wg.Wait()
	if taken.last.After(lastCancel) {
		lastCancel = taken.last
	}
	if lastCancel.IsZero() {
		lastCancel = h.now()
	}
	trigger := events.Trigger{EventID: e.ID(), EventType: e.Type(), Action: action(e.Type())}
	return h.finish(ctx, e, who, trigger, work, grants, aw, actions, taken, started, lastCancel, "leaver: "+trigger.Action)
}

func action(typ string) string {
	if typ == events.UserDeleted {
		return "user_deleted"
	}
	return "user_deactivated"
}

// hold keeps the watchers off the recorded workloads until the returned
// release, which runs once finish has recorded the cancels (watch.Hold).
func (h *Handler) hold(ctx context.Context, work []workload) (release func()) {
	var ids []string
	for _, w := range work {
		if !w.unrecorded {
			ids = append(ids, w.job.RequestID)
		}
	}
	return watch.Hold(ctx, h.Store, ids, h.now)
}

// cancelAll cancels every workload concurrently and returns one action
// each and when the last cancel call returned. An unrecorded workload that
// Dataproc does not know was never submitted: its action is skipped.
func (h *Handler) cancelAll(ctx context.Context, work []workload) ([]events.RevokeAction, time.Time) {
	n := h.Parallel
	if n <= 0 {
		n = 32
	}
	actions := make([]events.RevokeAction, len(work))
	var mu sync.Mutex
	var last time.Time
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, w := range work {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, w workload) {
			defer wg.Done()
			defer func() { <-sem }()
			a := events.RevokeAction{Kind: events.ActionCancelJob, Resource: w.job.Resource, Outcome: events.ActionSucceeded, State: "CANCELLING"}
			cctx, span := startCancel(ctx, w.job)
			err := h.Dataproc.Cancel(cctx, h.Caller, watch.Submission(w.job))
			telemetry.End(span, err)
			ended, hadEnded := dataproc.EndedState(err)
			switch {
			case err == nil:
			case hadEnded:
				// Nothing was cancelled: say so, and how it ended.
				a.Outcome, a.State = events.ActionSkipped, watch.State(ended)
				a.Detail = "the job had already ended (" + a.State + "): nothing to cancel"
			case w.unrecorded && fault.ReasonOf(err) == dataproc.ReasonNotFound:
				a.Outcome, a.State, a.Detail = events.ActionSkipped, "", "never reached Dataproc: nothing to cancel"
			default:
				a.Outcome, a.Error = events.ActionFailed, truncate(err.Error(), 512)
				if !fault.IsPermanent(err) {
					a.Error = retryMark + a.Error
				}
			}
			actions[i] = a
			mu.Lock()
			if t := h.now(); t.After(last) {
				last = t
			}
			mu.Unlock()
		}(i, w)
	}
	wg.Wait()
	return actions, last
}

// retryMark tags the error of a cancel that failed transiently, so that
// finish returns an error and the cascade is retried.
const retryMark = "\x00retry:"

// finish revokes the grants, withdraws the owner's approvals of requests
// that wait, audits access revoked, denies the owner's waiting requests
// and marks each job whose cancel Dataproc accepted CANCELLING with its
// job.state_changed (recording the unrecorded ones), all in one
// transaction: the trail reads identity event, access.revoked, then each
// denial and job change it caused. A
// failed cancel is reported and also returned, so that the event is
// redelivered and the cancel retried (repeating the cascade is harmless:
// cancels and revocations are idempotent).
func (h *Handler) finish(ctx context.Context, e event.Event, who owner, trig events.Trigger, work []workload,
	grants []store.Grant, aw approvalWork, actions []events.RevokeAction, taken *takings, started, lastCancel time.Time, reason string) error {
	now := h.now()
	var failed []error
	if taken != nil {
		failed = append(failed, taken.failed...)
	}
	retried := map[string]bool{} // requests whose cancel is retried
	for i, a := range actions {
		if rest, ok := strings.CutPrefix(a.Error, retryMark); ok {
			actions[i].Error = rest
			failed = append(failed, fault.AsTransient("cancel_failed", errors.New(a.Resource+": "+rest)))
			retried[work[i].job.RequestID] = true
		}
	}
	revID := uuid.NewString()
	err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		acts := append([]events.RevokeAction{}, actions...) // never null: the schema wants an array
		for _, g := range grants {
			if retried[g.RequestID] {
				// Kept active so that the retried cascade finds the grant,
				// and through it the workload, again (the mover and an
				// unrecorded workload know them only by their grant).
				acts = append(acts, events.RevokeAction{Kind: events.ActionRevokeGrant, Resource: "grant/" + g.ID,
					Outcome: events.ActionFailed, Error: "kept until the cancel of its workload, which is retried, succeeds"})
				continue
			}
			changed, err := tx.RevokeGrant(ctx, g.ID, reason, now)
			if err != nil {
				return err
			}
			out := events.ActionSucceeded
			if !changed {
				out = events.ActionSkipped
			}
			acts = append(acts, events.RevokeAction{Kind: events.ActionRevokeGrant, Resource: "grant/" + g.ID, Outcome: out})
		}
		more, err := h.withdraw(ctx, tx, aw, reason, now)
		if err != nil {
			return err
		}
		acts = append(acts, more...)
		acts = append(acts, taken.actions()...)
		latency := lastCancel.Sub(e.Time())
		if latency < 0 {
			latency = 0
		}
		ev, err := events.NewAccessRevoked(h.Source, events.Revocation{
			Principal: who.principal, Trigger: trig, Actions: acts, LatencyMS: latency.Milliseconds(), StartedAt: started.UTC(), FinishedAt: now.UTC(),
		}, events.WithCause(e), events.WithSubject(who.userID), events.WithID(revID))
		if err != nil {
			return err
		}
		if err := h.Audit.Append(ctx, tx, ev); err != nil {
			return err
		}
		if err := h.denyWaiting(ctx, tx, aw, revID, now); err != nil {
			return err
		}
		for i, w := range work {
			var err error
			switch {
			case actions[i].Outcome == events.ActionSkipped && w.unrecorded && actions[i].State != "":
				err = h.recordEnded(ctx, tx, w.job, grants) // it ran: the watcher records how it ended
			case actions[i].Outcome != events.ActionSucceeded:
			case w.unrecorded:
				err = h.recordCancelled(ctx, tx, revID, w.job, grants)
			default:
				err = h.markCancelling(ctx, tx, revID, w.job)
			}
			if err != nil {
				return err
			}
		}
		return h.record(ctx, tx, taken, revID)
	})
	if err != nil {
		return err
	}
	if h.Wake != nil {
		h.Wake()
	}
	telemetry.Current().Revocation(ctx, trig.Action, max(0, lastCancel.Sub(e.Time())))
	zerolog.Ctx(ctx).Info().Str("user_id", who.userID).Str("trigger", trig.Action).Int("workloads", len(work)).
		Int("clusters", len(taken.actions())).
		Int("grants_revoked", len(grants)).Dur("latency", lastCancel.Sub(e.Time())).Msg("access revoked")
	return errors.Join(failed...)
}

// markCancelling records a recorded job's accepted cancel as its
// job.state_changed to CANCELLING, caused by the access.revoked revID. A job
// that ended or was marked meanwhile (by the watcher) is left as it is.
func (h *Handler) markCancelling(ctx context.Context, tx store.Tx, revID string, j store.Job) error {
	cur, err := tx.GetJob(ctx, j.RequestID)
	if err != nil || cur.Ended || cur.State == "CANCELLING" {
		return err
	}
	sc, err := events.NewJobStateChanged(h.Source, events.StateChange{
		RequestID: j.RequestID, Resource: j.Resource, PreviousState: cur.State, State: "CANCELLING",
		Detail: "cancelled by the revocation cascade",
	}, events.WithCausationID(revID), events.WithRequestID(j.RequestID), events.WithSubject(j.RequestID))
	if err != nil {
		return err
	}
	if _, err := tx.UpdateJobState(ctx, j.RequestID, "CANCELLING", false, h.now(), sc.ID()); err != nil {
		return err
	}
	return h.Audit.Append(ctx, tx, sc)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
