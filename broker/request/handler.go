package request

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Decider decides a request; *decision.Decider implements it.
type Decider interface {
	Decide(ctx context.Context, rawToken string, req policy.Request) (decision.Outcome, error)
}

// Minter mints short-lived credentials; *credentials.Minter implements it.
type Minter interface {
	Mint(ctx context.Context, sa string, roleCap time.Duration) (credentials.Credential, error)
}

// Submitter runs jobs on Dataproc; *dataproc.Submitter implements it.
type Submitter interface {
	Submit(ctx context.Context, cred credentials.Credential, req dataproc.Request) (dataproc.Submission, error)
}

// Auditor appends audit events; audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, tx store.Tx, e event.Event) error
}

var (
	_ Decider   = (*decision.Decider)(nil)
	_ Minter    = (*credentials.Minter)(nil)
	_ Submitter = (*dataproc.Submitter)(nil)
)

// Handler handles job.requested events. Minter and Submitter may be nil:
// the broker then decides and audits but runs nothing.
type Handler struct {
	Store     store.Store
	Audit     Auditor
	Decider   Decider
	Minter    Minter
	Submitter Submitter
	// Directory says the directory is the authority (as for the decider):
	// a principal missing from it at execution time is refused.
	Directory bool
	// Policy, with the directory, re-checks before each step that the
	// principal still holds the approved role; nil skips that check.
	Policy decision.PolicySource
	// Canceller and Caller (the broker's own credential) stop a workload
	// that was submitted for a principal locked meanwhile.
	Canceller interface {
		Cancel(ctx context.Context, c dataproc.Caller, sub dataproc.Submission) error
	}
	Caller dataproc.Caller
	Source string           // CloudEvents source of emitted events
	Wake   func()           // wakes the outbox relay after a commit; may be nil
	Now    func() time.Time // default time.Now
	// ClaimLease is how long a delivery's claim on minting a request's
	// credential lasts without renewal (default 15s): how long a
	// redelivery waits for a worker that died while minting.
	ClaimLease time.Duration
	// Approvals re-checks, before each step that acts on a request its
	// approvers approved, that their approvals still hold; nil means the
	// policy's approval rules cannot be met and such requests are denied.
	Approvals ApprovalChecker
	// Notify is the topic a waiting request is also published to, for
	// approvers' bridges ("" for none); ApprovalURL, when set, is the
	// template of the page to approve on (approval.URLPlaceholder).
	Notify      string
	ApprovalURL string
}

// Handle implements worker.Handler.
func (h *Handler) Handle(ctx context.Context, e event.Event) error {
	req, err := events.DecodeJobRequest(e)
	if err != nil {
		return err
	}
	d, err := h.decide(ctx, e, req)
	if err != nil || d.Outcome != store.OutcomeApproved || h.Minter == nil || h.Submitter == nil {
		return err
	}
	return h.execute(ctx, e, req, d)
}

// decide returns the recorded decision, making and recording it (with its
// audit event, in one transaction) if this is the first delivery.
func (h *Handler) decide(ctx context.Context, e event.Event, req events.JobRequest) (store.Decision, error) {
	key := store.EventKey(e.Source(), e.ID())
	digest := Digest(req)
	d, err := Recorded(ctx, h.Store, key)
	if err == nil {
		return d, SameRequest(d, digest)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return d, err
	}
	at := h.now()
	out, err := h.Decider.Decide(ctx, req.IDToken, policyRequest(req, at))
	if err != nil {
		return d, err // transient: redeliver
	}
	if out, err = h.onOwnCluster(ctx, req, out); err != nil {
		return d, err
	}
	var windowed []events.ApprovalCount // the approvals of a window that covers the request
	if out.Decision.Approval != nil {
		var done bool
		if d, windowed, done, err = h.pause(ctx, e, req, &out, at, digest); done || err != nil {
			return d, err
		}
	}
	ev, err := decisionEvent(h.Source, e, req, out, at, windowed)
	if err != nil {
		return d, fmt.Errorf("request: build decision event: %w", err)
	}
	d = record(key, e.ID(), principalID(out, req.IDToken), out, at)
	d.RequestDigest, d.EventID = digest, ev.ID()
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
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
		return h.Audit.Append(ctx, tx, ev)
	})
	if err != nil {
		return d, err
	}
	h.wake()
	zerolog.Ctx(ctx).Info().Str("outcome", d.Outcome).Str("principal", d.Principal).Str("role", d.Role).
		Str("reason", out.Reason()).Str("policy_version", d.PolicyVersion).Msg("job request decided")
	return d, nil
}

// Recorded is the decision recorded for the request key (store.ErrNotFound:
// none yet). The cluster and access handlers share it.
func Recorded(ctx context.Context, st store.Store, key string) (store.Decision, error) {
	var d store.Decision
	err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		d, err = tx.GetDecision(ctx, key)
		return err
	})
	return d, err
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) wake() {
	if h.Wake != nil {
		h.Wake()
	}
}

// ReasonConflict refuses an event that reuses a decided request's source
// and id with a different body or token.
const ReasonConflict = "request_conflict"

// Digest identifies a job request exactly: the SHA-256 of its data as Go
// encodes it (fields in a fixed order, map keys sorted), token included.
// Only the digest is stored, never the token.
func Digest(r events.JobRequest) string {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// SameRequest refuses a redelivery whose body is not the one decided: an
// approval belongs to one request, not to whatever reuses its id.
func SameRequest(d store.Decision, digest string) error {
	if d.RequestDigest != "" && d.RequestDigest != digest {
		return fault.Permanentf(ReasonConflict, "event %s reuses a decided request's source and id with a different body or token", d.RequestID)
	}
	return nil
}
