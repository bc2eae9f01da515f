package request_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// holdCreate intercepts the first CreateBatch: it creates the workload
// (before it signals held if createFirst, after release if not), and
// holds the call until release. Every CreateBatch loses its answer.
type holdCreate struct {
	createFirst bool
	held, gate  chan struct{}
	first, open sync.Once
}

func newHold(t *testing.T, createFirst bool) *holdCreate {
	h := &holdCreate{createFirst: createFirst, held: make(chan struct{}), gate: make(chan struct{})}
	t.Cleanup(h.release) // a failed test must not leave the call hanging
	return h
}

func (h *holdCreate) release() { h.open.Do(func() { close(h.gate) }) }

func (h *holdCreate) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if !strings.HasSuffix(info.FullMethod, "/CreateBatch") {
		return next(ctx, req)
	}
	first := false
	h.first.Do(func() { first = true })
	if first {
		if h.createFirst {
			next(ctx, req) // the workload exists from here on
		}
		close(h.held)
		<-h.gate
		if !h.createFirst {
			next(ctx, req)
		}
	}
	return nil, status.Error(codes.Unavailable, "injected: the answer is lost")
}

func startHeld(t *testing.T, h *holdCreate) (*brokertest.Env, *brokertest.Stack) {
	return startWith(t, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: time.Hour, Cancel: 20 * time.Millisecond},
		func(c *devstack.Config) { c.DataprocInterceptors = []grpc.UnaryServerInterceptor{h.intercept} },
		func(c *service.Config) { c.Worker.MaxAttempts = 0 })
}

// revocation reads the audit stream up to the first access revoked,
// keeping the events about request id in got.
func revocation(t *testing.T, env *brokertest.Env, id string, got *[]event.Event) events.Revocation {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case e := <-env.Audit:
			if e.Extensions()[events.ExtRequestID] == id {
				*got = append(*got, e)
			}
			if e.Type() != events.AccessRevoked {
				continue
			}
			rev, err := events.DecodeRevocation(e)
			if err != nil {
				t.Fatal(err)
			}
			return rev
		case <-deadline:
			t.Fatal("no access revoked")
			return events.Revocation{}
		}
	}
}

// untilCancelled returns got and the events about request id read after
// it, up to its CANCELLED state change.
func untilCancelled(t *testing.T, env *brokertest.Env, id string, got []event.Event) []event.Event {
	t.Helper()
	cancelled := func(e event.Event) bool {
		sc, err := events.DecodeStateChange(e)
		return err == nil && sc.State == "CANCELLED"
	}
	for _, e := range got {
		if cancelled(e) { // delivered before the access revoked
			return got
		}
	}
	return append(got, collect(t, env, id, cancelled)...)
}

func cancelActions(rev events.Revocation) string {
	var s []string
	for _, a := range rev.Actions {
		if a.Kind == events.ActionCancelJob {
			s = append(s, a.Outcome)
		}
	}
	return strings.Join(s, " ")
}

// leaveDuringSubmit publishes erin's request, holds its CreateBatch (the
// workload created before the hold if createFirst), deactivates erin over
// SCIM and returns the cascade's access revoked and the request's events
// read so far. The submit is still held: call hold.release.
func leaveDuringSubmit(t *testing.T, createFirst bool) (*brokertest.Env, *holdCreate, event.Event, events.Revocation, []event.Event) {
	t.Helper()
	return duringSubmit(t, createFirst, func(env *brokertest.Env, scimURL string) {
		env.SCIMDeactivate(scimURL, env.SCIMUserID(scimURL, "erin@example.com"))
	})
}

// duringSubmit is leaveDuringSubmit with change in place of the leaver.
func duringSubmit(t *testing.T, createFirst bool, change func(env *brokertest.Env, scimURL string)) (*brokertest.Env, *holdCreate, event.Event, events.Revocation, []event.Event) {
	t.Helper()
	hold := newHold(t, createFirst)
	env, stack := startHeld(t, hold)
	scimURL := env.SCIM()
	req := jobRequest(t, stack.Token("erin@example.com"), "")
	env.PublishEvent(req)
	select {
	case <-hold.held:
	case <-time.After(wait):
		t.Fatal("the submit never reached Dataproc")
	}
	change(env, scimURL)
	var got []event.Event
	rev := revocation(t, env, req.ID(), &got)
	return env, hold, req, rev, got
}

// settled waits until the worker has finished with req (marked it
// processed), so that the trail holds everything its deliveries wrote.
func settled(t *testing.T, env *brokertest.Env, req event.Event) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		var done bool
		err := env.Broker.Store.View(env.Ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			done, err = tx.IsProcessed(ctx, worker.Key(req))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s was never processed", req.ID())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkTrail waits for the request to settle, then reports what its audit
// trail lacks of want.
func checkTrail(t *testing.T, env *brokertest.Env, req event.Event, got []event.Event, want ...string) string {
	t.Helper()
	settled(t, env, req)
	id := req.ID()
	tr := trail(env.Trail(id))
	for _, w := range want {
		if !strings.Contains(tr, w) {
			t.Errorf("trail %s (delivered %s) lacks %s", tr, trail(got), w)
		}
	}
	return tr
}

// TestLeaverCancelsUnrecordedWorkload: the workload is created, then its
// worker stalls before recording it (as if killed), then the principal is
// locked. The cascade finds the workload through the request's grant,
// cancels and records it, all before any redelivery: a short job cannot
// run to its end in the meantime.
func TestLeaverCancelsUnrecordedWorkload(t *testing.T) {
	env, hold, req, rev, got := leaveDuringSubmit(t, true)
	if acts := cancelActions(rev); acts != events.ActionSucceeded {
		t.Errorf("cascade cancels = %q, want one succeeded (the unrecorded batch): %+v", acts, rev.Actions)
	}
	got = untilCancelled(t, env, req.ID(), got)
	hold.release()
	tr := checkTrail(t, env, req, got, "job.submitted", "CANCELLING", "CANCELLED")
	if n := strings.Count(tr, "job.submitted"); n != 1 {
		t.Errorf("trail %s: %d job.submitted, want 1", tr, n)
	}
}

// TestLeaverDuringSubmitIsCancelled: the cascade runs while the submit is
// on its way (Dataproc does not know the workload yet, so its cancel is
// skipped), then the workload is created and the submit's answer is lost
// for good. The redelivered request is refused in flight, and the orphan
// workload is found by its derived id, cancelled and recorded.
func TestLeaverDuringSubmitIsCancelled(t *testing.T) {
	env, hold, req, rev, got := leaveDuringSubmit(t, false)
	if acts := cancelActions(rev); acts != events.ActionSkipped {
		t.Errorf("cascade cancels = %q, want one skipped (nothing submitted yet): %+v", acts, rev.Actions)
	}
	hold.release()
	got = untilCancelled(t, env, req.ID(), got)
	checkTrail(t, env, req, got, "job.submitted", "CANCELLING", "event.rejected.v1:principal_locked_in_flight", "CANCELLED")
}

// TestMoverDuringSubmitIsCancelled: erin leaves the group that gives her
// the role while her submit is on its way. The mover cascade finds nothing
// to cancel yet; the workload is then created, and the redelivered request
// is refused (role revoked in flight), never re-minted, and its workload
// cancelled.
func TestMoverDuringSubmitIsCancelled(t *testing.T) {
	env, hold, req, rev, got := duringSubmit(t, false, func(env *brokertest.Env, scimURL string) {
		env.SCIMRemoveMember(scimURL, "data-eng", "erin@example.com")
	})
	if acts := cancelActions(rev); acts != events.ActionSkipped {
		t.Errorf("mover cancels = %q, want one skipped (nothing submitted yet): %+v", acts, rev.Actions)
	}
	hold.release()
	got = untilCancelled(t, env, req.ID(), got)
	tr := checkTrail(t, env, req, got, "job.submitted", "CANCELLING", "event.rejected.v1:role_revoked_in_flight", "CANCELLED")
	if n := strings.Count(tr, "credential.issued"); n != 1 {
		t.Errorf("trail %s: %d credentials issued, want 1 (none after the role was lost)", tr, n)
	}
}
