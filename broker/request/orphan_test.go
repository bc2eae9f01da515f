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
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// TestLeaverDuringSubmitIsCancelled: the workload is created, then the
// principal is locked (and the cascade finds nothing recorded), then the
// submit's answer is lost for good. The redelivered request is refused in
// flight, and the orphan workload it may have created is found by its
// derived id, cancelled and recorded.
func TestLeaverDuringSubmitIsCancelled(t *testing.T) {
	created, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hang := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if !strings.HasSuffix(info.FullMethod, "/CreateBatch") {
			return h(ctx, req)
		}
		first := false
		once.Do(func() { first = true })
		if first {
			h(ctx, req) // the workload exists from here on
			close(created)
			<-release
		}
		return nil, status.Error(codes.Unavailable, "injected: the answer is lost")
	}
	env, stack := startWith(t, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: time.Hour, Cancel: 20 * time.Millisecond},
		func(c *devstack.Config) { c.DataprocInterceptors = []grpc.UnaryServerInterceptor{hang} },
		func(c *service.Config) { c.Worker.MaxAttempts = 0 })
	scimURL := env.SCIM()
	req := jobRequest(t, stack.Token("erin@example.com"), "")
	env.PublishEvent(req)
	select {
	case <-created:
	case <-time.After(wait):
		t.Fatal("the batch was never created")
	}
	env.SCIMDeactivate(scimURL, env.SCIMUserID(scimURL, "erin@example.com"))
	close(release)

	got := collect(t, env, req.ID(), func(e event.Event) bool {
		sc, err := events.DecodeStateChange(e)
		return err == nil && sc.State == "CANCELLED"
	})
	tr := trail(env.Trail(req.ID()))
	for _, want := range []string{"job.submitted", "CANCELLING", "event.rejected.v1:principal_locked_in_flight", "CANCELLED"} {
		if !strings.Contains(tr, want) {
			t.Errorf("trail %s (delivered %s) lacks %s", tr, trail(got), want)
		}
	}
}
