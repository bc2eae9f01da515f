package sqlstore

import (
	"context"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

const jobCols = `request_id, request_key, principal, role, service_account, kind, project, region, cluster,
	dataproc_id, dataproc_request_id, resource, state, ended, next_poll_at, attempts, created_at, updated_at,
	user_id, last_event_id, traceparent`

func scanJob(r rowScanner) (store.Job, error) {
	var j store.Job
	err := r.Scan(&j.RequestID, &j.RequestKey, &j.Principal, &j.Role, &j.ServiceAccount, &j.Kind, &j.Project,
		&j.Region, &j.Cluster, &j.DataprocID, &j.DataprocRequestID, &j.Resource, &j.State, &j.Ended,
		timeCol{&j.NextPollAt}, &j.Attempts, timeCol{&j.CreatedAt}, timeCol{&j.UpdatedAt}, &j.UserID, &j.LastEventID, &j.Traceparent)
	j.RequestKey = decodeKey(j.RequestKey)
	return j, err
}

// PutJob implements store.Jobs. An ended job keeps its state and stays ended.
func (t *tx) PutJob(ctx context.Context, j store.Job) error {
	switch {
	case j.RequestID == "" || j.Principal == "":
		return invalid("PutJob: empty request id or principal")
	case j.Kind != store.KindBatch && j.Kind != store.KindJob:
		return invalid("PutJob: kind %q", j.Kind)
	case j.Attempts < 0:
		return invalid("PutJob: negative attempts")
	}
	now := t.d().timeArg(t.s.now())
	_, err := t.exec(ctx, "sqlstore: PutJob",
		`INSERT INTO jobs (`+jobCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (request_id) DO UPDATE SET
		   request_key = excluded.request_key, principal = excluded.principal, role = excluded.role,
		   service_account = excluded.service_account, kind = excluded.kind, project = excluded.project,
		   region = excluded.region, cluster = excluded.cluster, dataproc_id = excluded.dataproc_id,
		   dataproc_request_id = excluded.dataproc_request_id, resource = excluded.resource,
		   state = CASE WHEN jobs.ended THEN jobs.state ELSE excluded.state END,
		   ended = jobs.ended OR excluded.ended,
		   next_poll_at = excluded.next_poll_at, attempts = excluded.attempts, updated_at = excluded.updated_at,
		   user_id = excluded.user_id,
		   last_event_id = CASE WHEN excluded.last_event_id = '' THEN jobs.last_event_id ELSE excluded.last_event_id END,
		   traceparent = CASE WHEN excluded.traceparent = '' THEN jobs.traceparent ELSE excluded.traceparent END`,
		j.RequestID, encodeKey(j.RequestKey), j.Principal, j.Role, j.ServiceAccount, j.Kind, j.Project, j.Region, j.Cluster,
		j.DataprocID, j.DataprocRequestID, j.Resource, j.State, j.Ended, t.d().timeArg(j.NextPollAt), j.Attempts,
		now, now, j.UserID, j.LastEventID, j.Traceparent)
	return err
}

// GetJob implements store.Jobs.
func (t *tx) GetJob(ctx context.Context, requestID string) (store.Job, error) {
	js, err := t.listJobs(ctx, "request_id = ?", requestID)
	if err != nil {
		return store.Job{}, err
	}
	if len(js) == 0 {
		return store.Job{}, notFound("job %q", requestID)
	}
	return js[0], nil
}

// ListActiveJobs implements store.Jobs.
func (t *tx) ListActiveJobs(ctx context.Context, dueBefore time.Time, limit int) ([]store.Job, error) {
	return t.listJobs(ctx, "NOT ended AND next_poll_at <= ? ORDER BY next_poll_at, request_id LIMIT ?",
		t.d().timeArg(dueBefore), limitArg(limit))
}

// ListActiveJobsByPrincipal implements store.Jobs.
func (t *tx) ListActiveJobsByPrincipal(ctx context.Context, principal string) ([]store.Job, error) {
	return t.listJobs(ctx, "NOT ended AND principal = ? ORDER BY created_at, request_id", principal)
}

// ListActiveJobsByUser implements store.Jobs.
func (t *tx) ListActiveJobsByUser(ctx context.Context, userID string) ([]store.Job, error) {
	if userID == "" {
		return nil, nil
	}
	return t.listJobs(ctx, "NOT ended AND user_id = ? ORDER BY created_at, request_id", userID)
}

func (t *tx) listJobs(ctx context.Context, where string, args ...any) ([]store.Job, error) {
	const op = "sqlstore: list jobs"
	rows, err := t.query(ctx, op, "SELECT "+jobCols+" FROM jobs WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	js, err := collect(rows, scanJob)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return js, nil
}

// UpdateJobState implements store.Jobs.
func (t *tx) UpdateJobState(ctx context.Context, requestID, state string, ended bool, nextPoll time.Time, eventID string) (bool, error) {
	const op = "sqlstore: UpdateJobState"
	if err := t.writable(op); err != nil {
		return false, err
	}
	var (
		oldState string
		oldEnded bool
		attempts int
	)
	found, err := t.queryRow(ctx, op, "SELECT state, ended, attempts FROM jobs WHERE request_id = ?"+t.forUpdate(),
		[]any{requestID}, &oldState, &oldEnded, &attempts)
	switch {
	case err != nil:
		return false, err
	case !found:
		return false, notFound("UpdateJobState: job %q", requestID)
	case oldEnded:
		return false, nil
	}
	changed := state != oldState || ended
	if changed {
		attempts = 0
	} else {
		attempts++
	}
	_, err = t.exec(ctx, op, `UPDATE jobs SET state = ?, ended = ?, next_poll_at = ?, attempts = ?, updated_at = ?,
		last_event_id = CASE WHEN ? = '' THEN last_event_id ELSE ? END WHERE request_id = ?`,
		state, ended, t.d().timeArg(nextPoll), attempts, t.d().timeArg(t.s.now()), eventID, eventID, requestID)
	return changed, err
}
