package revoke_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

const policyYAML = `
version: 1
roles:
  etl:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets:
      - {project: iis-dev, region: europe-west1, serverless: true}
      - {project: iis-dev, region: europe-west1, cluster: "etl-*"}
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/]
    max_duration: 2h
bindings:
  - {group: data-eng, role: etl}
`

const directoryYAML = `
users:
  - {user_name: alice@example.com, emails: [alice@example.com], groups: [data-eng]}
  - {user_name: bob@example.com, emails: [bob@example.com], groups: [data-eng]}
`

const wait = 20 * time.Second

type env struct {
	*brokertest.Env
	stack *brokertest.Stack
	scim  string
	seen  *[]event.Event // every audit event read so far
}

func start(t testing.TB, opts ...func(*devstack.Config)) env {
	t.Helper()
	stack := brokertest.NewStack(t, policyYAML, dataprocserver.Timing{Pending: 5 * time.Millisecond, Running: time.Hour, Cancel: 20 * time.Millisecond}, opts...)
	e := brokertest.New(t, stack.Option())
	e.ImportDirectory(directoryYAML)
	e.Start()
	return env{Env: e, stack: stack, scim: e.SCIM(), seen: new([]event.Event)}
}

func (e env) request(t testing.TB, who, cluster string) event.Event {
	t.Helper()
	req, err := events.NewJobRequested("//test", events.JobRequest{
		IDToken: e.stack.Token(who),
		Target:  events.Target{Project: "iis-dev", Region: "europe-west1", Cluster: cluster},
		Job:     events.JobSpec{Type: "pyspark", MainPythonURI: "gs://iis-dev-code/etl.py"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.PublishEvent(req)
	return req
}

// until returns the first audit event, seen before or arriving now, that
// match accepts (Pub/Sub does not keep the order between requests).
func (e env) until(t testing.TB, match func(event.Event) bool) event.Event {
	t.Helper()
	for _, ev := range *e.seen {
		if match(ev) {
			return ev
		}
	}
	deadline := time.After(wait)
	for {
		select {
		case ev := <-e.Audit:
			*e.seen = append(*e.seen, ev)
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatal("expected audit event did not arrive")
			return event.Event{}
		}
	}
}

func stateIs(id, state string) func(event.Event) bool {
	return func(ev event.Event) bool {
		sc, err := events.DecodeStateChange(ev)
		return err == nil && sc.RequestID == id && sc.State == state
	}
}

func isType(typ string) func(event.Event) bool {
	return func(ev event.Event) bool { return ev.Type() == typ }
}

func TestLeaverLosesEverything(t *testing.T) {
	e := start(t)
	batch, job := e.request(t, "bob@example.com", ""), e.request(t, "bob@example.com", "etl-cluster")
	other := e.request(t, "alice@example.com", "")
	for _, r := range []event.Event{batch, job, other} {
		e.until(t, stateIs(r.ID(), "RUNNING"))
	}
	e.SCIMDeactivate(e.scim, e.SCIMUserID(e.scim, "bob@example.com"))
	rev, err := events.DecodeRevocation(e.until(t, isType(events.AccessRevoked)))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, a := range rev.Actions {
		if a.Outcome != events.ActionSucceeded {
			t.Errorf("action %+v did not succeed", a)
		}
		kinds[a.Kind]++
	}
	if kinds[events.ActionCancelJob] != 2 || kinds[events.ActionRevokeGrant] != 2 {
		t.Errorf("actions = %v, want 2 cancels and 2 grant revocations", kinds)
	}
	if rev.Principal.ID != "bob@example.com" || rev.Trigger.Action != "user_deactivated" || rev.LatencyMS < 0 {
		t.Errorf("revocation = %+v", rev)
	}
	e.until(t, stateIs(batch.ID(), "CANCELLED"))
	e.until(t, stateIs(job.ID(), "CANCELLED"))

	// A new request is denied; alice's job runs on.
	late := e.request(t, "bob@example.com", "")
	d, _ := events.DecodeJobDecision(e.until(t, func(ev event.Event) bool {
		return ev.Type() == events.JobDenied && ev.Extensions()[events.ExtRequestID] == late.ID()
	}))
	if len(d.Reasons) == 0 || d.Reasons[0].Code != "principal_locked" {
		t.Errorf("late request reasons = %+v, want principal_locked", d.Reasons)
	}
	for _, r := range e.Trail(other.ID()) {
		if sc, err := events.DecodeStateChange(r); err == nil && sc.Ended {
			t.Errorf("alice's job ended (%s): the cascade reached another principal", sc.State)
		}
	}
}

func TestRepeatedDeactivationDoesNothingTwice(t *testing.T) {
	e := start(t)
	r := e.request(t, "bob@example.com", "")
	e.until(t, stateIs(r.ID(), "RUNNING"))
	id := e.SCIMUserID(e.scim, "bob@example.com")
	e.SCIMDeactivate(e.scim, id)
	e.until(t, isType(events.AccessRevoked))
	e.SCIMDeactivate(e.scim, id)
	deadline := time.After(500 * time.Millisecond)
	for {
		select {
		case ev := <-e.Audit:
			if ev.Type() == events.AccessRevoked {
				t.Fatalf("second deactivation caused another access revoked: %s", ev.Data())
			}
		case <-deadline:
			return
		}
	}
}

func TestMoverLosesGrantsNoLongerBound(t *testing.T) {
	e := start(t)
	r := e.request(t, "alice@example.com", "")
	e.until(t, stateIs(r.ID(), "RUNNING"))
	e.SCIMRemoveMember(e.scim, "data-eng", "alice@example.com") // Entra ID's member removal
	rev, err := events.DecodeRevocation(e.until(t, isType(events.AccessRevoked)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range rev.Actions {
		got = append(got, a.Kind+":"+a.Outcome)
	}
	if s := strings.Join(got, " "); !strings.Contains(s, "cancel_job:succeeded") || !strings.Contains(s, "revoke_grant:succeeded") || rev.Trigger.Action != "membership_removed" {
		t.Errorf("mover revocation = %s (%s), want the job cancelled and the grant revoked", s, rev.Trigger.Action)
	}
	e.until(t, stateIs(r.ID(), "CANCELLED"))
}

// TestLeaverWithNothingRunning still gets one access revoked, with no actions.
func TestLeaverWithNothingRunning(t *testing.T) {
	e := start(t)
	e.SCIMDeactivate(e.scim, e.SCIMUserID(e.scim, "bob@example.com"))
	ev := e.until(t, func(ev event.Event) bool {
		return ev.Type() == events.AccessRevoked || ev.Type() == events.EventRejected
	})
	rev, err := events.DecodeRevocation(ev)
	if err != nil || len(rev.Actions) != 0 || rev.Principal.ID != "bob@example.com" {
		t.Errorf("leaver with no jobs: %s %s (%v), want access revoked with no actions", ev.Type(), ev.Data(), err)
	}
}
