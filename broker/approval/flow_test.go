package approval_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

var short = dataprocserver.Timing{Pending: 20 * time.Millisecond, Running: 100 * time.Millisecond}

// TestTwoApprovalsRunTheJob: a request that needs two data owners pauses,
// is published for the bridges, and runs once both approve: mint, submit
// with the ids derived from its request key, watch, exactly one workload.
func TestTwoApprovalsRunTheJob(t *testing.T) {
	e := start(t, short)
	req := e.request(t, e.token(t, "alice@example.com"), "curated")
	ar := e.pending(t, req)
	if ar.Principal.ID != "alice@example.com" || ar.Role != "curated" || ar.RequestDigest != request.Digest(mustRequest(t, req)) ||
		len(ar.Requirements) != 1 || ar.Requirements[0].Count != 2 || ar.Requirements[0].Approvers[0] != "data-owners" ||
		ar.Requirements[0].Reason != "writes curated tables" || ar.Request.Job.MainPythonURI == "" {
		t.Errorf("job.approval_requested = %+v", ar)
	}
	if d := time.Until(ar.ExpiresAt); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expires_at %v, want an hour from now", ar.ExpiresAt)
	}
	// The bridges get the same event on the approvals topic.
	e.notify.await(t, "the notification", func(x event.Event) bool { return x.Type() == events.ApprovalRequested && x.Subject() == req.ID() })
	if names(e.audit.of(req.ID())) != "job.approval_requested" {
		t.Errorf("before any approval: %s, want only job.approval_requested", names(e.audit.of(req.ID())))
	}

	first := counted(t, "grace", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false))
	if first.Complete || counts(first.Counts) != "role:curated 1/2 [grace@example.com]" || first.Approver.ID != "grace@example.com" ||
		!strings.HasPrefix(first.TokenFingerprint, "sha256:") {
		t.Errorf("first approval = %+v", first)
	}
	second := counted(t, "heidi", e.answer(t, e.token(t, "heidi@example.com"), req.ID(), ar.RequestDigest, false))
	if !second.Complete || counts(second.Counts) != "role:curated 2/2 [grace@example.com heidi@example.com]" {
		t.Errorf("second approval = %+v", second)
	}
	end := e.ended(t, req.ID())
	if sc, _ := events.DecodeStateChange(end); sc.State != "SUCCEEDED" {
		t.Fatalf("the job ended %s: %s", names([]event.Event{end}), names(e.audit.of(req.ID())))
	}
	tr := names(e.Trail(req.ID()))
	want := "job.approval_requested approval.recorded approval.recorded job.approved credential.issued job.submitted"
	if !strings.HasPrefix(tr, want) || !strings.HasSuffix(tr, "job.state_changed:SUCCEEDED") {
		t.Errorf("trail = %s, want %s ... SUCCEEDED", tr, want)
	}
	trail := e.Trail(req.ID())
	approved, err := events.DecodeJobDecision(trail[3])
	if err != nil || approved.Input.Stage != approval.Stage || approved.Role != "curated" || len(approved.Approvals) != 1 ||
		approved.Reasons[0].Code != approval.ReasonGranted || approved.MaxDuration == "" {
		t.Errorf("job.approved = %+v (%v)", approved, err)
	}
	if trail[4].Extensions()[events.ExtCausationID] != trail[3].ID() {
		t.Error("the credential is not caused by the decision that let the request go on")
	}
	// The same idempotency keys: the workload's ids derive from the
	// request's source and id.
	sub, _ := events.DecodeJobSubmission(trail[5])
	if want := dataproc.Expected(store.EventKey(req.Source(), req.ID()), dataproc.Target{Project: "iis-dev", Region: "europe-west1"}); sub.DataprocRequestID != want.DataprocRequestID {
		t.Errorf("submitted with request id %s, want %s (derived from the request key)", sub.DataprocRequestID, want.DataprocRequestID)
	}
	if tp := trail[5].Extensions()[events.ExtTraceparent]; tp != req.Extensions()[events.ExtTraceparent] {
		t.Errorf("traceparent %v, want the request's", tp)
	}

	// Redeliveries change nothing: the request again, the last answer again.
	e.PublishEvent(req)
	e.PublishEvent(e.verdict(t, e.token(t, "heidi@example.com"), req.ID(), ar.RequestDigest, false))
	time.Sleep(300 * time.Millisecond) // let them be handled; nothing must follow
	if n := e.stack.Dataproc.CreatedFor(sub.DataprocRequestID); n != 1 {
		t.Errorf("Dataproc workloads for the request = %d, want 1", n)
	}
	for _, x := range e.audit.of(req.ID()) {
		if strings.Contains(string(x.Data()), "eyJ") {
			t.Errorf("%s carries a token", x.Type())
		}
	}
}

func mustRequest(t *testing.T, e event.Event) events.JobRequest {
	t.Helper()
	r, err := events.DecodeJobRequest(e)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRejectedIsDenied: one data owner's rejection denies the request; no
// later approval revives it.
func TestRejectedIsDenied(t *testing.T) {
	e := start(t, short)
	req := e.request(t, e.token(t, "alice@example.com"), "curated")
	ar := e.pending(t, req)
	counted(t, "grace", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false))
	rec := counted(t, "heidi rejects", e.answer(t, e.token(t, "heidi@example.com"), req.ID(), ar.RequestDigest, true))
	if rec.Verdict != events.VerdictRejected || !rec.Complete {
		t.Errorf("rejection = %+v", rec)
	}
	denied := e.ended(t, req.ID())
	d, _ := events.DecodeJobDecision(denied)
	if denied.Type() != events.JobDenied || d.Reasons[0].Code != approval.ReasonRejected || !strings.Contains(d.Reasons[0].Message, "heidi@example.com: checked the diff") {
		t.Errorf("after the rejection: %s %+v", denied.Type(), d.Reasons)
	}
	refused(t, "an approval after the rejection", e.answer(t, e.token(t, "olga@example.com"), req.ID(), ar.RequestDigest, false), approval.ReasonNotPending)
	if n := e.stack.Dataproc.Counts().CreateBatch; n != 0 {
		t.Errorf("CreateBatch calls = %d, want 0", n)
	}
}

// TestExpiredIsDenied: a request nobody approves in time is denied, and an
// approval after the expiry is refused.
func TestExpiredIsDenied(t *testing.T) {
	e := start(t, short)
	req := e.request(t, e.token(t, "alice@example.com"), "quick")
	ar := e.pending(t, req)
	exp := e.audit.await(t, "approval.expired", func(x event.Event) bool { return x.Type() == events.ApprovalExpired && x.Subject() == req.ID() })
	denied := e.ended(t, req.ID())
	d, _ := events.DecodeJobDecision(denied)
	if d.Outcome != events.OutcomeDenied || d.Reasons[0].Code != approval.ReasonExpired || denied.Extensions()[events.ExtCausationID] != exp.ID() {
		t.Errorf("after the expiry: %s %+v caused by %v", denied.Type(), d.Reasons, denied.Extensions()[events.ExtCausationID])
	}
	if exp.Extensions()[events.ExtCausationID] == "" {
		t.Error("approval.expired names no cause")
	}
	refused(t, "an approval after the expiry", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false), approval.ReasonExpired)
	var stored store.Decision
	e.Broker.Store.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		stored, err = tx.GetDecision(ctx, store.EventKey(req.Source(), req.ID()))
		return err
	})
	if stored.Outcome != store.OutcomeDenied {
		t.Errorf("stored decision = %s, want denied", stored.Outcome)
	}
}

// TestWindowCoversLaterRequests: an approval with a window covers the
// requester's later requests under the role, not another requester's.
func TestWindowCoversLaterRequests(t *testing.T) {
	e := start(t, short)
	alice := e.token(t, "alice@example.com")
	first := e.request(t, alice, "backfill")
	ar := e.pending(t, first)
	if ar.Window != "1h0m0s" {
		t.Errorf("window = %q, want 1h0m0s", ar.Window)
	}
	counted(t, "grace", e.answer(t, e.token(t, "grace@example.com"), first.ID(), ar.RequestDigest, false))
	e.ended(t, first.ID())

	second := e.request(t, alice, "backfill")
	e.ended(t, second.ID())
	tr := e.Trail(second.ID())
	d, _ := events.DecodeJobDecision(tr[0])
	if tr[0].Type() != events.JobApproved || d.Reasons[len(d.Reasons)-1].Code != approval.ReasonWindow || len(d.Approvals) != 1 {
		t.Errorf("second request: %s %+v, want approved by the window", names(tr), d.Reasons)
	}
	other := e.request(t, e.token(t, "erin@example.com"), "backfill")
	e.pending(t, other) // erin's own request still waits
}

// TestRequesterWithdraws: the requester cancels a request that waits; it
// is denied, caused by the cancel. Another principal's cancel of it is
// refused: there is no job, and the request is not theirs.
func TestRequesterWithdraws(t *testing.T) {
	e := start(t, short)
	req := e.request(t, e.token(t, "erin@example.com"), "curated")
	ar := e.pending(t, req)
	cancel := func(who string) event.Event {
		ev, err := events.NewJobCancelRequested("//dataproc-iis/cli/"+who, events.CancelRequest{
			IDToken: e.token(t, who), RequestID: req.ID(), Reason: "wrong date"})
		if err != nil {
			t.Fatal(err)
		}
		e.PublishEvent(ev)
		return ev
	}
	other := cancel("heidi@example.com")
	refused(t, "heidi's cancel", e.audit.await(t, "heidi's cancel refused", func(x event.Event) bool {
		return x.Type() == events.EventRejected && x.Extensions()[events.ExtCausationID] == other.ID()
	}), "job_not_found")
	own := cancel("erin@example.com")
	denied := e.ended(t, req.ID())
	d, _ := events.DecodeJobDecision(denied)
	if d.Reasons[0].Code != request.ReasonWithdrawn || denied.Extensions()[events.ExtCausationID] != own.ID() {
		t.Errorf("after erin's cancel: %s %+v caused by %v", denied.Type(), d.Reasons, denied.Extensions()[events.ExtCausationID])
	}
	refused(t, "an approval after the withdrawal", e.answer(t, e.token(t, "grace@example.com"), req.ID(), ar.RequestDigest, false), approval.ReasonNotPending)
}
