package request_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

// TestTrailCausation walks the whole audit trail of a job run to its end,
// of one that waited for an approver, and of a leaver's cascade, and
// checks the documented causation rule on every record: a trigger (an
// identity event from SCIM) names no cause; anything else names the event
// that caused it, which is an earlier record of the trail, the job request
// itself, or (for an approval.recorded) the approver's answer it names;
// every event of a job carries the job's request id.
func TestTrailCausation(t *testing.T) {
	// Jobs run 3s: alice's to its end, erin's until she leaves.
	env, stack := start(t, dataprocserver.Timing{Pending: 20 * time.Millisecond, Running: 3 * time.Second})
	done := jobRequest(t, stack.Token("alice@example.com"), "")
	running := jobRequest(t, stack.Token("erin@example.com"), "")
	approved := approvedRequest(t, env, stack)
	env.PublishEvent(done)
	env.PublishEvent(running)
	collect(t, env, running.ID(), func(e event.Event) bool {
		sc, err := events.DecodeStateChange(e)
		return err == nil && sc.State == "RUNNING"
	})
	scimURL := env.SCIM()
	env.SCIMDeactivate(scimURL, env.SCIMUserID(scimURL, "erin@example.com"))
	collect(t, env, running.ID(), ended)
	waitEnded(t, env, done.ID())
	waitEnded(t, env, approved.ID())

	all := allRecords(t, env) // every record, in chain order
	seen := map[string]event.Event{}
	var chains []string
	for _, e := range all {
		cause, _ := e.Extensions()[events.ExtCausationID].(string)
		req, _ := e.Extensions()[events.ExtRequestID].(string)
		switch spec, _ := events.Lookup(e.Type()); {
		case spec.Channel == events.ChannelIdentity:
			if cause != "" {
				t.Errorf("%s (a trigger) names cause %s", e.Type(), cause)
			}
		case cause == "":
			t.Errorf("%s %s names no cause", e.Type(), e.ID())
		case seen[cause].ID() == "" && cause != req && cause != answerOf(e):
			t.Errorf("%s %s names cause %s, which is neither an earlier record nor its request %s", e.Type(), e.ID(), cause, req)
		}
		if isJobEvent(e.Type()) && req == "" {
			t.Errorf("%s %s carries no requestid", e.Type(), e.ID())
		}
		seen[e.ID()] = e
	}
	for _, id := range []string{done.ID(), running.ID(), approved.ID()} {
		chains = append(chains, causalChain(seen, env.Trail(id)))
	}
	want := []string{
		"job.approved<-request credential.issued<-job.approved job.submitted<-credential.issued " +
			"job.state_changed:RUNNING<-job.submitted job.state_changed:SUCCEEDED<-job.state_changed:RUNNING",
		"job.approved<-request credential.issued<-job.approved job.submitted<-credential.issued " +
			"job.state_changed:RUNNING<-job.submitted job.state_changed:CANCELLING<-access.revoked " +
			"job.state_changed:CANCELLED<-job.state_changed:CANCELLING",
		// The request paused, carol's answer was recorded and settled it,
		// and the resumed request's credential is caused by that decision.
		"job.approval_requested<-request approval.recorded<-approval job.approved<-approval.recorded " +
			"credential.issued<-job.approved job.submitted<-credential.issued " +
			"job.state_changed:RUNNING<-job.submitted job.state_changed:SUCCEEDED<-job.state_changed:RUNNING",
	}
	for i := range want {
		got := strings.ReplaceAll(chains[i], " job.state_changed:PENDING<-job.submitted job.state_changed:RUNNING<-job.state_changed:PENDING", " job.state_changed:RUNNING<-job.submitted")
		if got != want[i] {
			t.Errorf("causal chain of request %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
	var revoked event.Event
	for _, e := range all {
		if e.Type() == events.AccessRevoked {
			revoked = e
		}
	}
	if cause := seen[revoked.Extensions()[events.ExtCausationID].(string)]; cause.Type() != events.UserDeactivated {
		t.Errorf("access.revoked is caused by %s, want the deactivation", cause.Type())
	}
}

// allRecords decodes the whole audit chain, in chain order.
func allRecords(t *testing.T, env *brokertest.Env) []event.Event {
	t.Helper()
	recs, err := env.Broker.Store.AuditTrail(env.Ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	for _, r := range recs {
		e, err := events.Decode(events.Message{Data: r.Data, Attributes: r.Attributes})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// waitEnded waits until the store's trail of a request holds its end.
func waitEnded(t *testing.T, env *brokertest.Env, requestID string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		tr := env.Trail(requestID)
		if len(tr) > 0 && ended(tr[len(tr)-1]) {
			return
		}
		time.Sleep(20 * time.Millisecond) // polling the store: the trail has no notification
	}
	t.Fatalf("request %s did not end", requestID)
}

func isJobEvent(typ string) bool {
	for _, t := range []string{events.JobApproved, events.JobDenied, events.CredentialIssued, events.JobSubmitted, events.JobStateChanged} {
		if typ == t {
			return true
		}
	}
	return false
}

// causalChain renders each event of a request's trail with its cause.
func causalChain(byID map[string]event.Event, trail []event.Event) string {
	name := func(e event.Event) string {
		s := strings.TrimSuffix(strings.TrimPrefix(e.Type(), events.Prefix+"."), ".v1")
		if e.Type() == events.JobStateChanged {
			sc, _ := events.DecodeStateChange(e)
			s += ":" + sc.State
		}
		return s
	}
	var parts []string
	for _, e := range trail {
		cause := e.Extensions()[events.ExtCausationID].(string)
		c, ok := byID[cause]
		what := "request"
		switch {
		case ok:
			what = name(c)
		case cause == answerOf(e):
			what = "approval"
		case cause != e.Extensions()[events.ExtRequestID]:
			what = fmt.Sprintf("unknown(%s)", cause)
		}
		parts = append(parts, name(e)+"<-"+what)
	}
	return strings.Join(parts, " ")
}

// answerOf is the approver's answer an approval.recorded names, or "".
func answerOf(e event.Event) string {
	if e.Type() != events.ApprovalRecorded {
		return ""
	}
	r, err := events.DecodeRecordedApproval(e)
	if err != nil {
		return ""
	}
	return r.ApprovalEventID
}

// approvedRequest publishes alice's request for the curated role, which
// waits for an on-call approver, and has carol approve it.
func approvedRequest(t *testing.T, env *brokertest.Env, stack *brokertest.Stack) event.Event {
	t.Helper()
	req := jobRequest(t, stack.Token("alice@example.com"), "")
	data, _ := events.DecodeJobRequest(req)
	data.Role = "curated"
	req, err := events.NewJobRequested(req.Source(), data)
	if err != nil {
		t.Fatal(err)
	}
	env.PublishEvent(req)
	got := collect(t, env, req.ID(), func(e event.Event) bool { return e.Type() == events.ApprovalRequested || ended(e) })
	ar, err := events.DecodeApprovalRequest(got[len(got)-1])
	if err != nil {
		t.Fatalf("alice's curated request: %s", trail(got))
	}
	answer, err := events.NewApprovalGranted("//dataproc-iis/cli/carol", events.ApprovalVerdict{
		IDToken: stack.Token("carol@example.com"), RequestID: req.ID(), RequestDigest: ar.RequestDigest})
	if err != nil {
		t.Fatal(err)
	}
	env.PublishEvent(answer)
	return req
}
