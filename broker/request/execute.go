package request

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// ReasonRevokedInFlight is the reason a request approved before its
// principal was locked is stopped before it runs.
const ReasonRevokedInFlight = "principal_locked_in_flight"

// execute runs an approved request: mint, record the grant, submit, record
// the job. A job already recorded means a previous delivery finished.
func (h *Handler) execute(ctx context.Context, e event.Event, req events.JobRequest, d store.Decision) error {
	if done, err := h.submitted(ctx, e.ID(), d.RequestKey, d.Principal); done || err != nil {
		return err
	}
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
	}, events.WithCause(e), events.WithSubject(e.ID()))
	if err != nil {
		return fmt.Errorf("request: build credential issued: %w", err)
	}
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		// The grant is recorded, and the principal re-checked, in the same
		// transaction: a leaver locked since the decision stops here.
		if err := h.notLocked(ctx, tx, d.Principal); err != nil {
			return err
		}
		err := tx.PutGrant(ctx, store.Grant{
			ID: cred.Fingerprint, RequestID: e.ID(), Principal: d.Principal, Role: d.Role,
			ServiceAccount: cred.ServiceAccount, ExpiresAt: cred.ExpireTime,
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
	return h.recordJob(ctx, e, d, sub, req.Target.Cluster, cred.ServiceAccount)
}

// submitted reports whether a previous delivery already recorded the job.
// A job recorded under the same id for another request (another source) is
// a conflict, never this request's job.
func (h *Handler) submitted(ctx context.Context, requestID, key, principal string) (bool, error) {
	var done bool
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		j, err := tx.GetJob(ctx, requestID)
		if err == nil && j.RequestKey != key {
			return fault.Permanentf(ReasonConflict, "request id %s already names another source's job", requestID)
		}
		if err == nil {
			done = true
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return h.notLocked(ctx, tx, principal)
	})
	return done, err
}

// notLocked refuses a principal the directory has locked or deactivated
// since the decision. A principal not in the directory was let through by
// the decision only when the directory is disabled; with it enabled, a
// principal that vanished (or became ambiguous) is refused too, and a store
// error is returned for a retry: never let through when unsure.
func (h *Handler) notLocked(ctx context.Context, tx store.Tx, principal string) error {
	u, err := directory.Find(ctx, tx, principal, "")
	switch {
	case errors.Is(err, decision.ErrNotFound) && !h.Directory:
		return nil
	case errors.Is(err, decision.ErrNotFound) || fault.IsPermanent(err):
		return fault.Permanentf(ReasonRevokedInFlight, "%s is no longer a single active directory user; nothing was submitted", principal)
	case err != nil:
		return err
	case u.Locked || !u.Active:
		return fault.Permanentf(ReasonRevokedInFlight, "%s was locked after the request was approved; nothing was submitted", principal)
	}
	return nil
}

func (h *Handler) recordJob(ctx context.Context, e event.Event, d store.Decision, sub dataproc.Submission, cluster, sa string) error {
	ev, err := events.NewJobSubmitted(h.Source, events.JobSubmission{
		RequestID: e.ID(), Kind: sub.Kind, Project: sub.Project, Region: sub.Region, Cluster: cluster,
		Resource: sub.Resource, DataprocRequestID: sub.DataprocRequestID, ServiceAccount: sa,
	}, events.WithCause(e), events.WithSubject(e.ID()))
	if err != nil {
		return fmt.Errorf("request: build job submitted: %w", err)
	}
	job := store.Job{
		RequestID: e.ID(), RequestKey: d.RequestKey, Principal: d.Principal, Role: d.Role, ServiceAccount: sa,
		Kind: sub.Kind, Project: sub.Project, Region: sub.Region, Cluster: cluster,
		DataprocID: sub.DataprocID, DataprocRequestID: sub.DataprocRequestID, Resource: sub.Resource,
		State: "PENDING", NextPollAt: h.now(),
	}
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetJob(ctx, e.ID()); err == nil {
			return nil // a concurrent delivery recorded it
		}
		if err := tx.PutJob(ctx, job); err != nil {
			return err
		}
		return h.Audit.Append(ctx, tx, ev)
	})
	if err != nil {
		return err
	}
	h.wake()
	zerolog.Ctx(ctx).Info().Str("resource", sub.Resource).Msg("job submitted")
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
