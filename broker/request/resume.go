package request

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

var _ approval.Resumer = (*Handler)(nil)

// Resume runs a request that waited for approvers and is now approved,
// exactly where a request approved at once goes on: mint under the claim,
// submit with the ids derived from its request key, record the job. Its
// credential.issued is caused by the job.approved that settled it. It is
// idempotent, like every delivery of a request: a second call finds the
// job recorded. A request that is not approved is left alone.
func (h *Handler) Resume(ctx context.Context, requestKey string) error {
	var (
		r store.ApprovalRequest
		d store.Decision
	)
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if r, err = tx.GetApprovalRequest(ctx, requestKey); err != nil {
			return err
		}
		d, err = tx.GetDecision(ctx, requestKey)
		return err
	})
	if err != nil {
		return err
	}
	if d.Outcome != store.OutcomeApproved {
		zerolog.Ctx(ctx).Info().Str("request_id", r.RequestID).Str("outcome", d.Outcome).Msg("resume of a request that is not approved: nothing to run")
		return nil
	}
	if h.Minter == nil || h.Submitter == nil {
		return nil
	}
	e, req, err := paused(r)
	if err != nil {
		return err
	}
	return h.execute(ctx, e, req, d)
}

// paused rebuilds what execute needs of the request that paused: its id,
// source and traceparent (the ids and the trail derive from them), and the
// request without its token.
func paused(r store.ApprovalRequest) (event.Event, events.JobRequest, error) {
	var f events.RequestFacts
	if err := json.Unmarshal(r.Facts, &f); err != nil {
		return event.Event{}, events.JobRequest{}, fmt.Errorf("request: the stored request %s: %w", r.RequestID, err)
	}
	e := event.New(event.CloudEventsVersionV1)
	e.SetID(r.RequestID)
	e.SetSource(r.Source)
	e.SetType(events.JobRequested)
	e.SetTime(r.CreatedAt)
	if r.Traceparent != "" {
		e.SetExtension(events.ExtTraceparent, r.Traceparent)
	}
	req := events.JobRequest{Role: f.Role, Target: f.Target, Job: f.Job, Justification: f.Justification,
		MaxDuration: f.MaxDuration, Labels: f.Labels}
	return e, req, nil
}
