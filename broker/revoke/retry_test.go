package revoke_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// TestMoverRetriesAFailedCancel: the mover's cancel fails (Dataproc
// unavailable), so the grant is kept and the cascade is retried; the retry
// finds the job again through the grant, cancels it and revokes the grant.
func TestMoverRetriesAFailedCancel(t *testing.T) {
	var down atomic.Bool
	unavailable := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if down.Load() && strings.HasSuffix(info.FullMethod, "/CancelOperation") {
			return nil, status.Error(codes.Unavailable, "injected")
		}
		return h(ctx, req)
	}
	e := start(t, func(c *devstack.Config) { c.DataprocInterceptors = append(c.DataprocInterceptors, unavailable) })
	r := e.request(t, "alice@example.com", "")
	e.until(t, stateIs(r.ID(), "RUNNING"))
	down.Store(true)
	e.SCIMRemoveMember(e.scim, "data-eng", "alice@example.com")
	first, err := events.DecodeRevocation(e.until(t, isType(events.AccessRevoked)))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(first); got != "cancel_job:failed revoke_grant:failed" {
		t.Fatalf("first cascade = %s, want the cancel failed and the grant kept", got)
	}
	down.Store(false)
	retried := func(ev event.Event) bool {
		rev, err := events.DecodeRevocation(ev)
		return err == nil && ev.Type() == events.AccessRevoked && outcomes(rev) != outcomes(first)
	}
	second, _ := events.DecodeRevocation(e.until(t, retried))
	if got := outcomes(second); got != "cancel_job:succeeded revoke_grant:succeeded" {
		t.Errorf("retried cascade = %s, want the job cancelled and the grant revoked", got)
	}
	e.until(t, stateIs(r.ID(), "CANCELLED"))
}

func outcomes(rev events.Revocation) string {
	var s []string
	for _, a := range rev.Actions {
		s = append(s, a.Kind+":"+a.Outcome)
	}
	return strings.Join(s, " ")
}
