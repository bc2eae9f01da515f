package request_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	credentialspb "cloud.google.com/go/iam/credentials/apiv1/credentialspb"
	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc"

	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// slowMints delays each GenerateAccessToken for the role's service account
// and counts them, so that two deliveries of one request overlap.
func slowMints(n *atomic.Int32, d time.Duration) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if r, ok := req.(*credentialspb.GenerateAccessTokenRequest); ok && strings.Contains(r.GetName(), "etl-runner@") {
			n.Add(1)
			time.Sleep(d) // holding the first delivery inside its mint while the second arrives
		}
		return h(ctx, req)
	}
}

// TestConcurrentDuplicateMintsOnce: the same CloudEvent published twice
// back to back (both copies held by workers at once) mints one credential:
// one IAM call, one grant, one credential.issued, one job.
func TestConcurrentDuplicateMintsOnce(t *testing.T) {
	var mints atomic.Int32
	env, stack := startWith(t, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: 50 * time.Millisecond},
		func(c *devstack.Config) {
			c.IAMInterceptors = []grpc.UnaryServerInterceptor{slowMints(&mints, 300*time.Millisecond)}
		})
	req := jobRequest(t, stack.Token("alice@example.com"), "")
	env.PublishEvent(req)
	env.PublishEvent(req)
	collect(t, env, req.ID(), ended)
	settled(t, env, req)
	time.Sleep(200 * time.Millisecond) // the second copy may still be finishing: give it the chance to mint
	tr := trail(env.Trail(req.ID()))
	for typ, want := range map[string]int{"credential.issued": 1, "job.submitted": 1, "job.approved": 1} {
		if n := strings.Count(tr, typ); n != want {
			t.Errorf("trail %s: %d %s, want %d", tr, n, typ, want)
		}
	}
	if n := mints.Load(); n != 1 {
		t.Errorf("GenerateAccessToken called %d times for the request, want 1", n)
	}
	var grants []store.Grant
	err := env.Broker.Store.View(env.Ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		grants, err = tx.GrantsByRequest(ctx, req.ID())
		return err
	})
	if err != nil || len(grants) != 1 {
		t.Errorf("grants for the request = %d (%v), want 1", len(grants), err)
	}

}

// TestLeaverAfterTheJobEnded: the job has finished on Dataproc (SUCCEEDED)
// but the watcher has not seen it yet when its principal leaves. The
// cascade reports what happened (nothing to cancel: it had ended, and how)
// instead of a cancel that worked, and publishes no CANCELLING.
func TestLeaverAfterTheJobEnded(t *testing.T) {
	clock := dataprocserver.NewManualClock(time.Now())
	stack := brokertest.NewStack(t, policyYAML, dataprocserver.Timing{Pending: time.Minute, Running: 10 * time.Minute},
		func(c *devstack.Config) { c.Clock = clock })
	env := brokertest.New(t, stack.Option(), func(c *service.Config) { c.Pipeline.Watch.Interval = time.Hour })
	env.ImportDirectory(directoryYAML)
	env.Start()
	scimURL := env.SCIM()
	req := jobRequest(t, stack.Token("erin@example.com"), "")
	env.PublishEvent(req)
	collect(t, env, req.ID(), func(e event.Event) bool { return e.Type() == events.JobSubmitted })
	clock.Advance(12 * time.Minute) // pending 1m, running 10m: it succeeded, unseen

	env.SCIMDeactivate(scimURL, env.SCIMUserID(scimURL, "erin@example.com"))
	var got []event.Event
	rev := revocation(t, env, req.ID(), &got)
	var cancel *events.RevokeAction
	for i, a := range rev.Actions {
		if a.Kind == events.ActionCancelJob {
			cancel = &rev.Actions[i]
		}
	}
	if cancel == nil || cancel.Outcome != events.ActionSkipped || cancel.State != "SUCCEEDED" || !strings.Contains(cancel.Detail, "already ended") {
		t.Errorf("cancel_job action = %+v, want skipped: the job had already ended SUCCEEDED", cancel)
	}
	if tr := trail(env.Trail(req.ID())); strings.Contains(tr, "CANCELLING") {
		t.Errorf("trail %s: a CANCELLING for a job that had already ended", tr)
	}
}
