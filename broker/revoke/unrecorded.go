package revoke

import (
	"context"
	"errors"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/events"
)

// workload is a job the cascade cancels: one the store records, or one an
// active grant may have started without a record. A worker that dies
// between Dataproc's answer and its write leaves such a workload running,
// and its redelivery may come only after the workload has run; so the
// cascade looks for it by the ids the request key derives.
type workload struct {
	job        store.Job
	unrecorded bool
}

func recorded(jobs []store.Job) []workload {
	ws := make([]workload, len(jobs))
	for i, j := range jobs {
		ws[i] = workload{job: j}
	}
	return ws
}

// unrecordedWork returns, once per request, the workload each grant may
// have started when the store has no job for its request. A grant from
// before its target was recorded (migration 0005) yields nothing.
func unrecordedWork(ctx context.Context, tx store.Tx, grants []store.Grant, known []workload) ([]workload, error) {
	seen := map[string]bool{}
	for _, w := range known {
		seen[w.job.RequestID] = true
	}
	var ws []workload
	for _, g := range grants {
		if seen[g.RequestID] || g.RequestKey == "" || g.Project == "" || g.Region == "" {
			continue
		}
		seen[g.RequestID] = true
		_, err := tx.GetJob(ctx, g.RequestID)
		switch {
		case err == nil:
			continue // recorded: listed with the active jobs, or ended
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		sub := dataproc.Expected(g.RequestKey, dataproc.Target{Project: g.Project, Region: g.Region, Cluster: g.Cluster})
		ws = append(ws, workload{unrecorded: true, job: watch.WithSubmission(store.Job{
			RequestID: g.RequestID, RequestKey: g.RequestKey, Principal: g.Principal, UserID: g.UserID, Role: g.Role,
			ServiceAccount: g.ServiceAccount, State: "CANCELLING",
		}, sub, g.Cluster)})
	}
	return ws, nil
}

// recordCancelled writes a workload the cascade found and cancelled
// without a record: the job (so the watcher follows it to its end and a
// redelivery of its request finds it) and its submission (caused by its
// credential) and cancel (caused by the access.revoked revID), in the
// request's audit trail. A worker that recorded it meanwhile wins.
func (h *Handler) recordCancelled(ctx context.Context, tx store.Tx, revID string, j store.Job, grants []store.Grant) error {
	if _, err := tx.GetJob(ctx, j.RequestID); err == nil {
		return h.markCancelling(ctx, tx, revID, j)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	submitted, err := h.submitted(j, grants)
	if err != nil {
		return err
	}
	cancelled, err := events.NewJobStateChanged(h.Source, events.StateChange{
		RequestID: j.RequestID, Resource: j.Resource, PreviousState: "STATE_UNSPECIFIED", State: "CANCELLING",
		Detail: "submitted under the grant but not recorded (its worker stopped, or was still writing); found by its derived id and cancelled",
	}, events.WithCausationID(revID), events.WithRequestID(j.RequestID), events.WithSubject(j.RequestID))
	if err != nil {
		return err
	}
	j.State, j.NextPollAt, j.LastEventID = "CANCELLING", h.now(), cancelled.ID()
	if err := tx.PutJob(ctx, j); err != nil {
		return err
	}
	if err := h.Audit.Append(ctx, tx, submitted); err != nil {
		return err
	}
	return h.Audit.Append(ctx, tx, cancelled)
}

// recordEnded writes an unrecorded workload the cascade found already
// ended: it ran, so it is recorded with its submission, and the watcher
// reports how it ended.
func (h *Handler) recordEnded(ctx context.Context, tx store.Tx, j store.Job, grants []store.Grant) error {
	if _, err := tx.GetJob(ctx, j.RequestID); err == nil || !errors.Is(err, store.ErrNotFound) {
		return err
	}
	submitted, err := h.submitted(j, grants)
	if err != nil {
		return err
	}
	j.State, j.NextPollAt, j.LastEventID = "STATE_UNSPECIFIED", h.now(), submitted.ID()
	if err := tx.PutJob(ctx, j); err != nil {
		return err
	}
	return h.Audit.Append(ctx, tx, submitted)
}

// submitted is the job.submitted of an unrecorded workload, caused by the
// credential.issued of its request's grant.
func (h *Handler) submitted(j store.Job, grants []store.Grant) (event.Event, error) {
	cause := j.RequestID // a grant from before the broker kept its event's id
	for _, g := range grants {
		if g.RequestID == j.RequestID && g.EventID != "" {
			cause = g.EventID
		}
	}
	return watch.Submitted(h.Source, j, events.WithRequestID(j.RequestID), events.WithSubject(j.RequestID), events.WithCausationID(cause))
}
