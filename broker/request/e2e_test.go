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

const policyYAML = `
version: 1
roles:
  etl:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets:
      - {project: iis-dev, region: europe-west1, serverless: true}
      - {project: iis-dev, region: europe-west1, cluster: "etl-*"}
    job_types: [spark, pyspark]
    data_locations: [gs://iis-dev-code/, gs://iis-dev-data/]
    max_duration: 2h
    max_credential_lifetime: 10m
  curated:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets:
      - {project: iis-dev, region: europe-west1, serverless: true}
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/, gs://iis-dev-data/]
    approval: {approvers: [oncall], reason: writes curated tables}
  oncall:
    service_account: oncall@iis-dev.iam.gserviceaccount.com
    targets:
      - {project: iis-dev, region: "*", cluster: "*", serverless: true}
    job_types: [spark]
    data_locations: [gs://iis-dev-data/]
    justification_required: true
    may_cancel_others: true
bindings:
  - {group: data-eng, roles: [etl, curated]}
  - {group: oncall, role: oncall}
`

const directoryYAML = `
users:
  - {user_name: alice@example.com, emails: [alice@example.com], groups: [data-eng]}
  - {user_name: bob@example.com, emails: [bob@example.com], groups: [data-eng], active: false}
  - {user_name: carol@example.com, emails: [carol@example.com], groups: [oncall]}
  - {user_name: erin@example.com, emails: [erin@example.com], groups: [data-eng]}
`

const wait = 15 * time.Second

func start(t *testing.T, timing dataprocserver.Timing) (*brokertest.Env, *brokertest.Stack) {
	t.Helper()
	stack := brokertest.NewStack(t, policyYAML, timing)
	env := brokertest.New(t, stack.Option())
	env.ImportDirectory(directoryYAML)
	env.Start()
	return env, stack
}

func jobRequest(t *testing.T, token, cluster string) event.Event {
	t.Helper()
	e, err := events.NewJobRequested("//airflow/dag/nightly", events.JobRequest{
		IDToken: token,
		Target:  events.Target{Project: "iis-dev", Region: "europe-west1", Cluster: cluster},
		Job:     events.JobSpec{Type: "pyspark", MainPythonURI: "gs://iis-dev-code/etl.py", Inputs: []string{"gs://iis-dev-data/in/"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// collect reads audit events about request id until one satisfies done.
func collect(t *testing.T, env *brokertest.Env, id string, done func(event.Event) bool) []event.Event {
	t.Helper()
	var got []event.Event
	deadline := time.After(wait)
	for {
		select {
		case e := <-env.Audit:
			if e.Extensions()[events.ExtRequestID] != id {
				continue
			}
			got = append(got, e)
			if done(e) {
				return got
			}
		case <-deadline:
			t.Fatalf("request %s: audit trail stopped at %s", id, trail(got))
			return nil
		}
	}
}

func trail(es []event.Event) string {
	var parts []string
	for _, e := range es {
		s := strings.TrimPrefix(e.Type(), events.Prefix+".")
		if e.Type() == events.JobStateChanged {
			sc, _ := events.DecodeStateChange(e)
			s += ":" + sc.State
		}
		if e.Type() == events.EventRejected {
			r, _ := events.DecodeRejection(e)
			s += ":" + r.Reason
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func ended(e event.Event) bool {
	if e.Type() != events.JobStateChanged {
		return e.Type() == events.JobDenied || e.Type() == events.EventRejected
	}
	sc, err := events.DecodeStateChange(e)
	return err == nil && sc.Ended
}

// TestApprovedBatchRunsToSuccess follows a request from approval to the
// end of its Serverless batch, in causal order, correlated to the request.
func TestApprovedBatchRunsToSuccess(t *testing.T) {
	env, stack := start(t, dataprocserver.Timing{Pending: 50 * time.Millisecond, Running: 150 * time.Millisecond})
	req := jobRequest(t, stack.Token("alice@example.com"), "")
	env.PublishEvent(req)
	collect(t, env, req.ID(), ended)
	got := env.Trail(req.ID()) // chain order is causal order; Pub/Sub may reorder delivery
	want := "[job.approved.v1 credential.issued.v1 job.submitted.v1 job.state_changed.v1:RUNNING job.state_changed.v1:SUCCEEDED]"
	if g := trail(got); g != want && g != strings.Replace(want, "job.submitted.v1", "job.submitted.v1 job.state_changed.v1:PENDING", 1) {
		t.Errorf("audit trail = %s, want %s", g, want)
	}
	approved, err := events.DecodeJobDecision(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if approved.Role != "etl" || approved.ServiceAccount != "etl-runner@iis-dev.iam.gserviceaccount.com" || approved.Principal.ID != "alice@example.com" {
		t.Errorf("approval = role %q sa %q principal %+v", approved.Role, approved.ServiceAccount, approved.Principal)
	}
	if got[0].Extensions()[events.ExtCausationID] != req.ID() {
		t.Errorf("approval causationid = %v, want the request %s", got[0].Extensions()[events.ExtCausationID], req.ID())
	}
	cred, err := events.DecodeIssuedCredential(got[1])
	if err != nil {
		t.Fatal(err)
	}
	if lt, _ := time.ParseDuration(cred.Lifetime); lt > 10*time.Minute {
		t.Errorf("credential lifetime %s exceeds the role cap of 10m", cred.Lifetime)
	}
	if n := stack.Dataproc.CreatedFor(dataprocRequestID(t, got)); n != 1 {
		t.Errorf("Dataproc workloads for the request = %d, want 1", n)
	}
}

func dataprocRequestID(t *testing.T, es []event.Event) string {
	t.Helper()
	for _, e := range es {
		if e.Type() == events.JobSubmitted {
			s, err := events.DecodeJobSubmission(e)
			if err != nil {
				t.Fatal(err)
			}
			return s.DataprocRequestID
		}
	}
	t.Fatalf("no job.submitted in %s", trail(es))
	return ""
}

func TestDeniedRequests(t *testing.T) {
	env, stack := start(t, dataprocserver.Timing{})
	tests := []struct {
		name, token, reason string
	}{
		{"deactivated principal", stack.Token("bob@example.com"), "principal_inactive"},
		{"unknown principal", stack.Token("mallory@example.com", "data-eng"), "principal_unknown"},
		{"no binding", stack.Token("carol@example.com"), ""},
		{"forged token", forge(stack.Token("alice@example.com"), stack.Token("mallory@example.com")), "token_bad_signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := jobRequest(t, tt.token, "")
			env.PublishEvent(req)
			got := collect(t, env, req.ID(), ended)
			last := got[len(got)-1]
			if last.Type() != events.JobDenied {
				t.Fatalf("trail = %s, want job.denied", trail(got))
			}
			d, _ := events.DecodeJobDecision(last)
			if tt.reason != "" && (len(d.Reasons) == 0 || d.Reasons[0].Code != tt.reason) {
				t.Errorf("reasons = %+v, want first %s", d.Reasons, tt.reason)
			}
			if strings.Contains(string(last.Data()), tt.token) {
				t.Error("the denial carries the token")
			}
		})
	}
	if n := stack.Dataproc.Counts().CreateBatch; n != 0 {
		t.Errorf("CreateBatch calls after only denials = %d, want 0", n)
	}
}

// forge puts the signature of one token on the header and claims of another.
func forge(claims, signature string) string {
	c, s := strings.Split(claims, "."), strings.Split(signature, ".")
	return c[0] + "." + c[1] + "." + s[2]
}

func TestDuplicateDeliveryLeavesOneJob(t *testing.T) {
	env, stack := start(t, dataprocserver.Timing{Pending: 50 * time.Millisecond, Running: 100 * time.Millisecond})
	req := jobRequest(t, stack.Token("alice@example.com"), "etl-cluster")
	env.PublishEvent(req)
	env.PublishEvent(req) // the pipeline's retry: same source and id
	collect(t, env, req.ID(), ended)
	// The whole story in chain order: Pub/Sub may deliver the end first.
	got := env.Trail(req.ID())
	decisions := 0
	for _, e := range got {
		if e.Type() == events.JobApproved {
			decisions++
		}
	}
	if decisions != 1 {
		t.Errorf("decisions = %d in %s, want 1", decisions, trail(got))
	}
	if n := stack.Dataproc.CreatedFor(dataprocRequestID(t, got)); n != 1 {
		t.Errorf("Dataproc jobs = %d, want 1", n)
	}
}

func TestCancelByOwnerAndByOncall(t *testing.T) {
	env, stack := start(t, dataprocserver.Timing{Pending: 20 * time.Millisecond, Running: time.Hour, Cancel: 50 * time.Millisecond})
	for i, who := range []string{"alice@example.com", "carol@example.com"} {
		t.Run(who, func(t *testing.T) {
			req := jobRequest(t, stack.Token("alice@example.com"), "")
			env.PublishEvent(req)
			collect(t, env, req.ID(), func(e event.Event) bool {
				sc, err := events.DecodeStateChange(e)
				return err == nil && sc.State == "RUNNING"
			})
			// erin is bound to etl but is neither the owner nor on call.
			cancel(t, env, stack.Token("erin@example.com"), req.ID())
			rej := collect(t, env, req.ID(), func(e event.Event) bool { return e.Type() == events.EventRejected })
			if r, _ := events.DecodeRejection(rej[len(rej)-1]); r.Reason != "cancel_not_allowed" {
				t.Errorf("erin's cancel: %s, want cancel_not_allowed", trail(rej))
			}
			cancel(t, env, stack.Token(who), req.ID())
			got := collect(t, env, req.ID(), ended)
			if last, _ := events.DecodeStateChange(got[len(got)-1]); last.State != "CANCELLED" {
				t.Errorf("after %s's cancel (%d): %s, want ... CANCELLED", who, i, trail(got))
			}
		})
	}
}

func cancel(t *testing.T, env *brokertest.Env, token, requestID string) {
	t.Helper()
	e, err := events.NewJobCancelRequested("//cli/cancel", events.CancelRequest{IDToken: token, RequestID: requestID, Reason: fmt.Sprintf("test %d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	env.PublishEvent(e)
}
