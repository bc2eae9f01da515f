package watch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/events"
)

// Dataproc reads and cancels workloads; *dataproc.Submitter implements it.
type Dataproc interface {
	State(ctx context.Context, c dataproc.Caller, sub dataproc.Submission) (state string, ended bool, detail string, err error)
	Cancel(ctx context.Context, c dataproc.Caller, sub dataproc.Submission) error
}

// Auditor appends audit events; audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, tx store.Tx, e event.Event) error
}

var _ Dataproc = (*dataproc.Submitter)(nil)

// Config tunes a Watcher.
type Config struct {
	Source     string        // CloudEvents source of emitted events
	Interval   time.Duration // how often to look for due jobs; default 1s
	MinBackoff time.Duration // first poll delay after a poll without change; default 2s
	MaxBackoff time.Duration // poll delay cap; default 1m
	Batch      int           // jobs per round; default 100
	// Lease is how long a claimed job is left to this watcher: a watcher
	// that dies mid-round delays its jobs' next poll by at most this much.
	// Default 30s.
	Lease time.Duration
}

func (c *Config) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 2 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
}

// Watcher polls active jobs.
type Watcher struct {
	cfg      Config
	store    store.Store
	audit    Auditor
	dataproc Dataproc
	caller   dataproc.Caller // the broker's own credential: polls outlive job tokens
	wake     func()
	Now      func() time.Time
}

// New returns a watcher. caller supplies the broker's own access token,
// which Dataproc must accept for reading and cancelling every workload the
// broker started.
func New(cfg Config, st store.Store, a Auditor, dp Dataproc, caller dataproc.Caller, wake func()) (*Watcher, error) {
	cfg.setDefaults()
	if cfg.Source == "" {
		return nil, errors.New("watch: Config.Source is required")
	}
	if wake == nil {
		wake = func() {}
	}
	return &Watcher{cfg: cfg, store: st, audit: a, dataproc: dp, caller: caller, wake: wake, Now: time.Now}, nil
}

// Run polls until ctx is done.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("watch: poll failed")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll claims the jobs that are due (watchers on other workers skip them),
// checks each, and returns how many changed state.
func (w *Watcher) Poll(ctx context.Context) (int, error) {
	if ctx.Err() != nil {
		return 0, nil
	}
	// The claim runs to completion even if ctx ends meanwhile: a statement
	// cut short by a cancel may still have claimed rows, which would then
	// wait out the lease unseen. Once it returns, release hands them back.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	jobs, err := w.store.ClaimDueJobs(cctx, w.Now(), w.cfg.Lease, w.cfg.Batch)
	cancel()
	if err != nil {
		return 0, err
	}
	changed := 0
	var errs []error
	for i, j := range jobs {
		c, err := w.check(ctx, j)
		if ctx.Err() != nil {
			// Stopping: hand back this job and the rest now, rather than
			// leave them to wait out the lease.
			errs = append(errs, w.release(ctx, jobs[i:]))
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.Resource, err))
		}
		if c {
			changed++
		}
	}
	return changed, errors.Join(errs...)
}

// release makes jobs due now. It runs on a context of its own, because
// ctx is done.
func (w *Watcher) release(ctx context.Context, jobs []store.Job) error {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.RequestID
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.store.ReleaseJobs(rctx, ids, w.Now()); err != nil {
		return fmt.Errorf("watch: release %d claimed jobs: %w", len(ids), err)
	}
	return nil
}

func (w *Watcher) check(ctx context.Context, j store.Job) (changed bool, err error) {
	ctx, span := startCheck(ctx, j)
	defer func() { endCheck(ctx, span, j, changed, err) }()
	st, ended, detail, err := w.dataproc.State(ctx, w.caller, Submission(j))
	state := State(st)
	if err != nil {
		// Keep the state, back off, and try again later.
		return false, w.reschedule(ctx, j, j.State, false, err)
	}
	if state == j.State && !ended {
		return false, w.overrun(ctx, j)
	}
	now := w.Now()
	var prev string
	err = w.store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		// The job as it is now, not as claimed: a cascade or a canceller may
		// have marked it CANCELLING meanwhile, and the change is caused by
		// the trail's latest event.
		cur, err := tx.GetJob(ctx, j.RequestID)
		if err != nil || cur.Ended || cur.State == state && !ended {
			return err // another watcher recorded this change
		}
		if !cur.NextPollAt.Equal(j.NextPollAt) {
			// Rescheduled since the claim: a canceller holds the job (see
			// Hold) or has recorded its cancel. It records what it caused;
			// the next poll sees the rest.
			return nil
		}
		ev, err := w.changeEvent(cur, state, ended, detail)
		if err != nil {
			return err
		}
		if changed, err = tx.UpdateJobState(ctx, j.RequestID, state, ended, now.Add(w.cfg.MinBackoff), ev.ID()); err != nil || !changed {
			return err
		}
		if ended {
			if err := closeGrants(ctx, tx, j.RequestID, "job "+state, now); err != nil {
				return err
			}
		}
		prev = cur.State
		return w.audit.Append(ctx, tx, ev)
	})
	if err != nil || !changed {
		return false, err
	}
	w.wake()
	zerolog.Ctx(ctx).Info().Str("request_id", j.RequestID).Str("resource", j.Resource).
		Str("previous_state", prev).Str("state", state).Bool("ended", ended).Msg("job state changed")
	telemetry.Current().JobState(ctx, state)
	return true, nil
}

// changeEvent is the job.state_changed from the stored job cur to state,
// caused by the previous event of the job's trail (by the request itself
// for a job recorded before the broker kept that id).
func (w *Watcher) changeEvent(cur store.Job, state string, ended bool, detail string) (event.Event, error) {
	if cur.State == "CANCELLING" && ended && state != "CANCELLED" {
		// The cancel was accepted but did not take effect in time: say so,
		// next to what access.revoked or the canceller reported.
		detail = "ended " + state + " before the cancel took effect: " + detail
	}
	return events.NewJobStateChanged(w.cfg.Source, events.StateChange{
		RequestID: cur.RequestID, Resource: cur.Resource, PreviousState: cur.State, State: state,
		Detail: truncate(detail, 1024), Ended: ended,
	}, events.WithRequestID(cur.RequestID), events.WithSubject(cur.RequestID), events.WithCausationID(cmp.Or(cur.LastEventID, cur.RequestID)))
}

// reschedule keeps the job's state and pushes its next poll out
// exponentially with the number of polls without change.
func (w *Watcher) reschedule(ctx context.Context, j store.Job, state string, ended bool, cause error) error {
	delay := w.cfg.MinBackoff << min(j.Attempts, 16)
	if delay > w.cfg.MaxBackoff || delay <= 0 {
		delay = w.cfg.MaxBackoff
	}
	err := w.store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetJob(ctx, j.RequestID)
		if err != nil {
			return err
		}
		if !cur.NextPollAt.Equal(j.NextPollAt) {
			// Rescheduled since the claim (a canceller holds the job or
			// has marked it CANCELLING): keep its schedule.
			return nil
		}
		_, err = tx.UpdateJobState(ctx, j.RequestID, state, ended, w.Now().Add(delay), "")
		return err
	})
	return errors.Join(cause, err)
}

// closeGrants revokes the request's grants that are still open.
func closeGrants(ctx context.Context, tx store.Tx, requestID, reason string, at time.Time) error {
	grants, err := tx.GrantsByRequest(ctx, requestID)
	if err != nil {
		return err
	}
	for _, g := range grants {
		if g.RevokedAt == nil {
			if _, err := tx.RevokeGrant(ctx, g.ID, reason, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// State is the audit form of a workload state: Dataproc's own upper-case
// names (PENDING, RUNNING, SUCCEEDED, ...).
func State(s string) string {
	if s == dataproc.StateUnknown || s == "" {
		return "STATE_UNSPECIFIED"
	}
	return strings.ToUpper(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
