package request

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/events"
)

// execute runs an approved request: mint, record the grant, submit, record
// the job. A job already recorded means a previous delivery finished.
func (h *Handler) execute(ctx context.Context, e event.Event, req events.JobRequest, d store.Decision) error {
	if job, done, err := h.submitted(ctx, e.ID(), d); done || err != nil {
		switch {
		case refusedInFlight(err) && done:
			// Recorded by a delivery whose cancel of it failed: finish it.
			if job.Ended || job.State == "CANCELLING" {
				return nil
			}
			return h.cancelLocked(ctx, e, job)
		case refusedInFlight(err):
			return h.stopOrphan(ctx, e, req, d, err)
		}
		return err
	}
	claim, err := h.claimMint(ctx, e, d)
	switch {
	case errors.Is(err, errFinished):
		return nil // a concurrent delivery minted, submitted and recorded it
	case refusedInFlight(err):
		return h.stopOrphan(ctx, e, req, d, err)
	case err != nil:
		return err
	}
	defer h.doneMint(ctx, claim)
	cred, err := h.Minter.Mint(ctx, d.ServiceAccount, d.CredentialLifetime)
	if err != nil {
		return err
	}
	issued, err := events.NewCredentialIssued(h.Source, events.IssuedCredential{
		RequestID:      e.ID(),
		ServiceAccount: cred.ServiceAccount,
		Scopes:         cred.Scopes,
		ExpireTime:     cred.ExpireTime.UTC(),
		Lifetime:       cred.ExpireTime.Sub(h.now()).Round(1e9).String(),
		Fingerprint:    "sha256:" + cred.Fingerprint,
	}, events.WithCauseIn(e, d.EventID), events.WithSubject(e.ID()))
	if err != nil {
		return fmt.Errorf("request: build credential issued: %w", err)
	}
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		// The grant is recorded, and the principal re-checked, in the same
		// transaction: a leaver locked since the decision stops here.
		if err := h.entitled(ctx, tx, d); err != nil {
			return err
		}
		// A retry after a failed submit mints anew (the token was never
		// stored): the earlier grant of the request is closed, so that a
		// request holds one open grant.
		if err := supersede(ctx, tx, e.ID(), h.now()); err != nil {
			return err
		}
		err := tx.PutGrant(ctx, store.Grant{
			ID: cred.Fingerprint, RequestID: e.ID(), Principal: d.Principal, UserID: d.UserID, EventID: issued.ID(), Role: d.Role,
			ServiceAccount: cred.ServiceAccount, ExpiresAt: cred.ExpireTime,
			RequestKey: d.RequestKey, Project: req.Target.Project, Region: req.Target.Region, Cluster: req.Target.Cluster,
		})
		if err != nil {
			return err
		}
		return h.Audit.Append(ctx, tx, issued)
	})
	if err != nil {
		return err
	}
	h.wake()
	zerolog.Ctx(ctx).Info().Str("service_account", cred.ServiceAccount).Str("fingerprint", cred.Fingerprint).
		Time("expires", cred.ExpireTime).Msg("credential issued")

	sub, err := h.Submitter.Submit(ctx, cred, dataproc.Request{
		Key:         store.EventKey(e.Source(), e.ID()),
		RequestID:   e.ID(),
		Principal:   d.Principal,
		Role:        d.Role,
		Target:      dataproc.Target(req.Target),
		Job:         dataproc.JobSpec(req.Job),
		Labels:      req.Labels,
		MaxDuration: d.MaxDuration,
	})
	if err != nil {
		if fault.IsPermanent(err) {
			h.closeGrant(ctx, cred.Fingerprint, "submit failed: "+fault.ReasonOf(err))
		}
		return err
	}
	return h.recordJob(ctx, e, d, sub, req.Target.Cluster, cred.ServiceAccount, issued.ID(), claim)
}

// submitted returns the job a previous delivery recorded, if any, and
// whether the principal is still entitled (a refusal in flight if not). A
// job recorded under the same id for another request (another source) is a
// conflict, never this request's job.
func (h *Handler) submitted(ctx context.Context, requestID string, d store.Decision) (store.Job, bool, error) {
	var job store.Job
	var done bool
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		j, err := tx.GetJob(ctx, requestID)
		switch {
		case err == nil && j.RequestKey != d.RequestKey:
			return fault.Permanentf(ReasonConflict, "request id %s already names another source's job", requestID)
		case err == nil:
			job, done = j, true
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		return h.entitled(ctx, tx, d)
	})
	if done && !refusedInFlight(err) {
		err = nil // the job is recorded and its principal still allowed
	}
	return job, done, err
}

func (h *Handler) recordJob(ctx context.Context, e event.Event, d store.Decision, sub dataproc.Submission, cluster, sa, credEvent string, claim *mintClaim) error {
	job := watch.WithSubmission(store.Job{
		RequestID: e.ID(), RequestKey: d.RequestKey, Principal: d.Principal, UserID: d.UserID, Role: d.Role, ServiceAccount: sa,
		State: "PENDING", NextPollAt: h.now(), Traceparent: telemetry.Traceparent(ctx),
	}, sub, cluster)
	ev, err := watch.Submitted(h.Source, job, events.WithCauseIn(e, credEvent), events.WithSubject(e.ID()))
	if err != nil {
		return fmt.Errorf("request: build job submitted: %w", err)
	}
	job.LastEventID = ev.ID()
	locked := false
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		// Recorded: the claim has done its work (released with the record,
		// so that no delivery can find the claim free and the job missing).
		if err := tx.ReleaseEffect(ctx, claim.key, claim.holder); err != nil {
			return err
		}
		if _, err := tx.GetJob(ctx, e.ID()); err == nil {
			return nil // a concurrent delivery recorded it
		}
		if err := tx.PutJob(ctx, job); err != nil {
			return err
		}
		// A lock (or a lost role) committed while the submit was under
		// way was cascaded before this job existed: stop the job here.
		locked = refusedInFlight(h.entitled(ctx, tx, d))
		return h.Audit.Append(ctx, tx, ev)
	})
	if err != nil {
		return err
	}
	claim.released = true
	h.wake()
	telemetry.Current().JobState(ctx, job.State)
	zerolog.Ctx(ctx).Info().Str("resource", sub.Resource).Msg("job submitted")
	if locked {
		return h.cancelLocked(ctx, e, job)
	}
	return nil
}

// supersede closes the open grants of a request before a new one is
// recorded for it.
func supersede(ctx context.Context, tx store.Tx, requestID string, at time.Time) error {
	gs, err := tx.GrantsByRequest(ctx, requestID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.RevokedAt == nil {
			if _, err := tx.RevokeGrant(ctx, g.ID, "superseded by the credential of a retry", at); err != nil {
				return err
			}
		}
	}
	return nil
}

// closeGrant marks a grant revoked when its job can never run. Failing to
// do so is logged: the credential expires on its own within minutes.
func (h *Handler) closeGrant(ctx context.Context, id, reason string) {
	err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.RevokeGrant(ctx, id, reason, h.now())
		return err
	})
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("grant", id).Msg("closing grant failed")
	}
}

// stopOrphan handles a request refused in flight after a credential was
// minted for it: an earlier delivery may have submitted the workload and
// died before recording it. The workload's ids are derived from the
// request, so it is cancelled if it exists and recorded, so that the
// watcher follows it to its end. Then the refusal stands.
func (h *Handler) stopOrphan(ctx context.Context, e event.Event, req events.JobRequest, d store.Decision, refusal error) error {
	var grants []store.Grant
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		grants, err = tx.GrantsByRequest(ctx, e.ID())
		return err
	})
	if err != nil {
		return err
	}
	if len(grants) == 0 || h.Canceller == nil {
		return refusal // no credential was ever minted: nothing can have run
	}
	sub := dataproc.Expected(d.RequestKey, dataproc.Target(req.Target))
	state := "CANCELLING"
	err = h.Canceller.Cancel(ctx, h.Caller, sub)
	ended, hadEnded := dataproc.EndedState(err)
	switch {
	case fault.ReasonOf(err) == dataproc.ReasonNotFound:
		return refusal // the submit never reached Dataproc
	case hadEnded:
		state = "STATE_UNSPECIFIED" // it ran before anyone knew; the watcher records how it ended
	case err != nil:
		return err // retried: the workload may be running
	}
	last := grants[len(grants)-1]
	job := watch.WithSubmission(store.Job{
		RequestID: e.ID(), RequestKey: d.RequestKey, Principal: d.Principal, UserID: d.UserID, Role: d.Role,
		ServiceAccount: d.ServiceAccount, State: state, NextPollAt: h.now(), Traceparent: telemetry.Traceparent(ctx),
	}, sub, req.Target.Cluster)
	submitted, err := watch.Submitted(h.Source, job, events.WithCauseIn(e, last.EventID), events.WithSubject(e.ID()))
	if err != nil {
		return err
	}
	trail := []event.Event{submitted}
	if !hadEnded {
		cancelled, err := h.cancelledEvent(e, job, "STATE_UNSPECIFIED", submitted.ID(), "submitted before the principal lost access; cancelled")
		if err != nil {
			return err
		}
		trail = append(trail, cancelled)
	}
	job.LastEventID = trail[len(trail)-1].ID()
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetJob(ctx, e.ID()); err == nil {
			return nil
		}
		if err := tx.PutJob(ctx, job); err != nil {
			return err
		}
		for _, ev := range trail {
			if err := h.Audit.Append(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	h.wake()
	log := zerolog.Ctx(ctx).Warn().Str("resource", sub.Resource)
	if hadEnded {
		log.Str("state", ended).Msg("a workload submitted before its principal was locked had already ended; recorded")
	} else {
		log.Msg("cancelled a workload submitted before its principal was locked")
	}
	return refusal
}

// cancelLocked cancels a just-recorded job whose principal is no longer
// entitled to it. One that has already ended is left to the watcher.
func (h *Handler) cancelLocked(ctx context.Context, e event.Event, job store.Job) error {
	if h.Canceller == nil {
		return nil
	}
	err := h.Canceller.Cancel(ctx, h.Caller, dataproc.Expected(job.RequestKey, dataproc.Target{
		Project: job.Project, Region: job.Region, Cluster: job.Cluster}))
	if _, ended := dataproc.EndedState(err); ended {
		return nil
	}
	if err != nil {
		return err // retried; the job is recorded, so the next delivery finds it
	}
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetJob(ctx, job.RequestID)
		if err != nil || cur.Ended || cur.State == "CANCELLING" {
			return err // it ended, or a cascade recorded the cancel
		}
		ev, err := h.cancelledEvent(e, cur, cur.State, cur.LastEventID, "the principal lost access while the job was submitted; cancelled")
		if err != nil {
			return err
		}
		if _, err := tx.UpdateJobState(ctx, cur.RequestID, "CANCELLING", false, h.now(), ev.ID()); err != nil {
			return err
		}
		return h.Audit.Append(ctx, tx, ev)
	})
	if err == nil {
		h.wake()
	}
	return err
}

// cancelledEvent reports the job moving from previous to CANCELLING,
// caused by the trail's event with id causeID.
func (h *Handler) cancelledEvent(e event.Event, job store.Job, previous, causeID, detail string) (event.Event, error) {
	return events.NewJobStateChanged(h.Source, events.StateChange{
		RequestID: job.RequestID, Resource: job.Resource, PreviousState: previous, State: "CANCELLING", Detail: detail,
	}, events.WithCauseIn(e, causeID), events.WithSubject(job.RequestID))
}
