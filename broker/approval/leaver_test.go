package approval_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// revocation waits for the access.revoked of the user with SCIM id uid.
func (e *env) revocation(t *testing.T, uid string) (event.Event, events.Revocation) {
	t.Helper()
	ev := e.audit.await(t, "access.revoked", func(x event.Event) bool { return x.Type() == events.AccessRevoked && x.Subject() == uid })
	rev, err := events.DecodeRevocation(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ev, rev
}

func action(rev events.Revocation, kind, resource string) *events.RevokeAction {
	for i, a := range rev.Actions {
		if a.Kind == kind && a.Resource == resource {
			return &rev.Actions[i]
		}
	}
	return nil
}

// TestLeaverRequestIsCancelled: a requester who leaves while the request
// waits has it denied by the cascade, which lists it.
func TestLeaverRequestIsCancelled(t *testing.T) {
	e := start(t, short)
	scim := e.SCIM()
	req := e.request(t, e.token(t, "erin@example.com"), "curated")
	ar := e.pending(t, req)
	uid := e.SCIMUserID(scim, "erin@example.com")
	e.SCIMDeactivate(scim, uid)
	revEv, rev := e.revocation(t, uid)
	if a := action(rev, events.ActionDenyRequest, "request/"+req.ID()); a == nil || a.Outcome != events.ActionSucceeded {
		t.Errorf("access.revoked actions = %+v, want the waiting request denied", rev.Actions)
	}
	denied := e.ended(t, req.ID())
	d, _ := events.DecodeJobDecision(denied)
	if d.Outcome != events.OutcomeDenied || d.Reasons[0].Code != "principal_locked_in_flight" || denied.Extensions()[events.ExtCausationID] != revEv.ID() {
		t.Errorf("after the leaver: %s %+v caused by %v, want denied principal_locked_in_flight caused by the access.revoked", denied.Type(), d.Reasons, denied.Extensions()[events.ExtCausationID])
	}
	refused(t, "an approval of the leaver's request", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false), approval.ReasonNotPending)
}

// TestLeaverApprovalStopsCounting: an approver who leaves before the
// request is approved no longer counts; the cascade withdraws the
// approval and lists it.
func TestLeaverApprovalStopsCounting(t *testing.T) {
	e := start(t, short)
	scim := e.SCIM()
	req := e.request(t, e.token(t, "erin@example.com"), "curated")
	ar := e.pending(t, req)
	counted(t, "grace", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false))
	uid := e.SCIMUserID(scim, "grace@example.com")
	e.SCIMDeactivate(scim, uid)
	_, rev := e.revocation(t, uid)
	if a := action(rev, events.ActionWithdrawApproval, "approval/"+req.ID()); a == nil || a.Outcome != events.ActionSucceeded {
		t.Errorf("access.revoked actions = %+v, want grace's approval withdrawn", rev.Actions)
	}
	rec := counted(t, "heidi", e.answer(t, e.token(t, "heidi@example.com"), req.ID(), ar.RequestDigest, false))
	if rec.Complete || counts(rec.Counts) != "role:curated 1/2 [heidi@example.com]" {
		t.Errorf("after grace left: %s, want heidi alone", counts(rec.Counts))
	}
	rec = counted(t, "olga", e.answer(t, e.token(t, "olga@example.com"), req.ID(), ar.RequestDigest, false))
	if !rec.Complete {
		t.Errorf("after olga: %s, want complete", counts(rec.Counts))
	}
	if end := e.ended(t, req.ID()); end.Type() != events.JobStateChanged {
		t.Errorf("the request ended with %s", end.Type())
	}
}

// TestMoverApprovalStopsCounting: an approver removed from the approving
// group no longer counts (the mover's cascade withdraws it); a requester
// who loses the role has the waiting request denied.
func TestMoverApprovalStopsCounting(t *testing.T) {
	e := start(t, short)
	scim := e.SCIM()
	req := e.request(t, e.token(t, "erin@example.com"), "curated")
	ar := e.pending(t, req)
	counted(t, "grace", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false))
	e.SCIMRemoveMember(scim, "data-owners", "grace@example.com")
	_, rev := e.revocation(t, e.SCIMUserID(scim, "grace@example.com"))
	if a := action(rev, events.ActionWithdrawApproval, "approval/"+req.ID()); a == nil || a.Outcome != events.ActionSucceeded {
		t.Errorf("access.revoked actions = %+v, want grace's approval withdrawn", rev.Actions)
	}
	if rec := counted(t, "heidi", e.answer(t, e.token(t, "heidi@example.com"), req.ID(), ar.RequestDigest, false)); rec.Complete {
		t.Errorf("after grace moved: %s, want heidi alone", counts(rec.Counts))
	}

	other := e.request(t, e.token(t, "erin@example.com"), "curated")
	e.pending(t, other)
	e.SCIMRemoveMember(scim, "data-eng", "erin@example.com")
	denied := e.ended(t, other.ID())
	if d, _ := events.DecodeJobDecision(denied); d.Outcome != events.OutcomeDenied || d.Reasons[0].Code != "role_revoked_in_flight" {
		t.Errorf("after erin moved: %s %+v, want denied role_revoked_in_flight", denied.Type(), d.Reasons)
	}
}

// TestApprovalsRecheckedAtUse: approvals are re-checked against the
// directory when counted, not taken from the moment they were given: a
// deactivation the cascade has not seen still stops an approver counting.
func TestApprovalsRecheckedAtUse(t *testing.T) {
	e := start(t, short)
	req := e.request(t, e.token(t, "erin@example.com"), "curated")
	ar := e.pending(t, req)
	counted(t, "grace", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false))
	deactivate(t, e.Env, "grace@example.com")
	if rec := counted(t, "heidi", e.answer(t, e.token(t, "heidi@example.com"), req.ID(), ar.RequestDigest, false)); rec.Complete ||
		counts(rec.Counts) != "role:curated 1/2 [heidi@example.com]" {
		t.Errorf("with grace deactivated: %s, want heidi alone", counts(rec.Counts))
	}
}

// TestApprovalWithdrawnInFlight: the request is approved, but before its
// credential is minted an approver is deactivated (the mint failed once
// and is retried): the approvals are re-checked at the moment of use and
// nothing runs.
func TestApprovalWithdrawnInFlight(t *testing.T) {
	var failMint atomic.Bool
	failMint.Store(true)
	stack := brokertest.NewStack(t, policyYAML, short, func(c *devstack.Config) {
		c.IAMInterceptors = append(c.IAMInterceptors, func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if failMint.Load() {
				return nil, status.Error(codes.Unavailable, "injected")
			}
			return h(ctx, req)
		})
	})
	e := startOn(t, stack)
	req := e.request(t, e.token(t, "erin@example.com"), "curated")
	ar := e.pending(t, req)
	counted(t, "grace", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false))
	last := e.verdict(t, e.token(t, "heidi@example.com"), req.ID(), ar.RequestDigest, false)
	if rec := counted(t, "heidi", e.send(t, last)); !rec.Complete {
		t.Fatalf("heidi's approval did not complete the request: %s", counts(rec.Counts))
	}
	deactivate(t, e.Env, "grace@example.com")
	failMint.Store(false)
	out := e.audit.await(t, "the refusal in flight", func(x event.Event) bool {
		return x.Type() == events.EventRejected && x.Extensions()[events.ExtCausationID] == last.ID()
	})
	refused(t, "the redelivered approval", out, approval.ReasonWithdrawnInFlight)
	time.Sleep(100 * time.Millisecond)
	if n := e.stack.Dataproc.Counts().CreateBatch; n != 0 {
		t.Errorf("CreateBatch calls = %d, want 0", n)
	}
}

// deactivate sets a user inactive in the store alone: no identity event,
// no cascade.
func deactivate(t *testing.T, e *brokertest.Env, name string) {
	t.Helper()
	err := e.Broker.Store.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUserByName(ctx, name)
		if err != nil {
			return err
		}
		u.Active = false
		_, err = tx.PutUser(ctx, u)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
