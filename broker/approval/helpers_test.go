package approval_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"

	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devissuer"
)

const policyYAML = `
version: 1
roles:
  etl:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets: [{project: iis-dev, region: europe-west1, serverless: true}]
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/, gs://iis-dev-data/]
  curated:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets: [{project: iis-dev, region: europe-west1, serverless: true}]
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/, gs://iis-dev-data/]
    approval: {approvers: [data-owners], count: 2, expires_after: 1h, reason: writes curated tables}
  quick:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets: [{project: iis-dev, region: europe-west1, serverless: true}]
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/, gs://iis-dev-data/]
    approval: {approvers: [data-owners], expires_after: 1s}
  single:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets: [{project: iis-dev, region: europe-west1, serverless: true}]
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/, gs://iis-dev-data/]
    approval: {approvers: [data-owners]}
  backfill:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets: [{project: iis-dev, region: europe-west1, serverless: true}]
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/, gs://iis-dev-data/]
    approval: {approvers: [data-owners], window: 1h}
bindings:
  - {group: data-eng, roles: [etl, curated, quick, single, backfill]}
`

const directoryYAML = `
users:
  - {user_name: alice@example.com, emails: [alice@example.com], groups: [data-eng, data-owners]}
  - {user_name: erin@example.com, emails: [erin@example.com], groups: [data-eng]}
  - {user_name: grace@example.com, emails: [grace@example.com], groups: [data-owners]}
  - {user_name: heidi@example.com, emails: [heidi@example.com], groups: [data-owners]}
  - {user_name: olga@example.com, emails: [olga@example.com], groups: [data-owners]}
  - {user_name: ivan@example.com, emails: [ivan@example.com], groups: [data-eng]}
  - {user_name: bot@example.com, emails: [bot@example.com], groups: [data-owners], user_type: workload, manager: alice@example.com}
`

const wait = 20 * time.Second

// env is a broker on the local stand-ins, with every audit event and
// every notification kept in order.
type env struct {
	*brokertest.Env
	stack  *brokertest.Stack
	audit  *log
	notify *log
}

func start(t testing.TB, timing dataprocserver.Timing, opts ...brokertest.Option) *env {
	t.Helper()
	return startOn(t, brokertest.NewStack(t, policyYAML, timing), opts...)
}

// startOn starts the broker on a stack of the caller's.
func startOn(t testing.TB, stack *brokertest.Stack, opts ...brokertest.Option) *env {
	t.Helper()
	opts = append([]brokertest.Option{stack.Option(), func(c *service.Config) { c.Pipeline.ApprovalSweep = 20 * time.Millisecond }}, opts...)
	be := brokertest.New(t, opts...)
	be.ImportDirectory(directoryYAML)
	e := &env{Env: be, stack: stack, audit: &log{}, notify: &log{}}
	go func() {
		for ev := range be.Audit {
			e.audit.add(ev)
		}
	}()
	e.follow(t, be.Config.Topology.Approvals, e.notify)
	be.Start()
	return e
}

// follow keeps what topic carries in l.
func (e *env) follow(t testing.TB, topic string, l *log) {
	name := transport.SubscriptionName("test", "approvals-test-"+uuid.NewString()[:8])
	_, err := e.Client.SubscriptionAdminClient.CreateSubscription(e.Ctx, &pubsubpb.Subscription{
		Name: name, Topic: transport.TopicName("test", topic), AckDeadlineSeconds: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	go e.Client.Subscriber(name).Receive(e.Ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		ev, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			t.Errorf("%s carried an undecodable message: %v", topic, err)
			return
		}
		l.add(ev)
	})
}

func (e *env) token(t testing.TB, email string) string {
	t.Helper()
	return e.stack.Token(email)
}

func (e *env) mint(t testing.TB, r devissuer.TokenRequest) string {
	t.Helper()
	tok, err := e.stack.Issuer.Mint(r)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// request publishes a job request of who for role and returns it.
func (e *env) request(t testing.TB, token, role string) event.Event {
	t.Helper()
	ev := e.requestEvent(t, token, role)
	e.PublishEvent(ev)
	return ev
}

// requestEvent is a job request of who for role.
func (e *env) requestEvent(t testing.TB, token, role string) event.Event {
	t.Helper()
	ev, err := events.NewJobRequested("//airflow/dag/curated", events.JobRequest{
		IDToken: token, Role: role,
		Target: events.Target{Project: "iis-dev", Region: "europe-west1"},
		Job:    events.JobSpec{Type: "pyspark", MainPythonURI: "gs://iis-dev-code/curate.py", Outputs: []string{"gs://iis-dev-data/curated/"}},
	}, events.WithTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// pending waits for the job.approval_requested of request req.
func (e *env) pending(t testing.TB, req event.Event) events.ApprovalRequest {
	t.Helper()
	ev := e.audit.await(t, "job.approval_requested of "+req.ID(), func(x event.Event) bool {
		return x.Type() == events.ApprovalRequested && x.Subject() == req.ID()
	})
	ar, err := events.DecodeApprovalRequest(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ar
}

// answer publishes an approval.granted (or, with reject, approval.rejected)
// of token for request id with digest, and returns its outcome: the
// approval.recorded or event.rejected it caused.
func (e *env) answer(t testing.TB, token, id, digest string, reject bool) event.Event {
	t.Helper()
	return e.send(t, e.verdict(t, token, id, digest, reject))
}

func (e *env) verdict(t testing.TB, token, id, digest string, reject bool) event.Event {
	t.Helper()
	v := events.ApprovalVerdict{IDToken: token, RequestID: id, RequestDigest: digest, Comment: "checked the diff"}
	build := events.NewApprovalGranted
	if reject {
		build = events.NewApprovalRejected
	}
	ev, err := build("//dataproc-iis/cli/approver", v)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// send publishes an answer and waits for what it caused.
func (e *env) send(t testing.TB, ev event.Event) event.Event {
	t.Helper()
	e.PublishEvent(ev)
	return e.outcome(t, ev.ID())
}

// outcome is the approval.recorded or event.rejected caused by the event
// with that id.
func (e *env) outcome(t testing.TB, id string) event.Event {
	t.Helper()
	return e.audit.await(t, "outcome of "+id, func(x event.Event) bool {
		return (x.Type() == events.ApprovalRecorded || x.Type() == events.EventRejected) && x.Extensions()[events.ExtCausationID] == id
	})
}

// refused checks that out is an event.rejected with reason.
func refused(t testing.TB, what string, out event.Event, reason string) {
	t.Helper()
	if out.Type() != events.EventRejected {
		t.Errorf("%s: %s, want event.rejected %s", what, out.Type(), reason)
		return
	}
	r, err := events.DecodeRejection(out)
	if err != nil || r.Reason != reason {
		t.Errorf("%s: rejected %+v (%v), want reason %s", what, r, err, reason)
	}
}

// counted checks that out is an approval.recorded and returns it.
func counted(t testing.TB, what string, out event.Event) events.RecordedApproval {
	t.Helper()
	if out.Type() != events.ApprovalRecorded {
		r, _ := events.DecodeRejection(out)
		t.Fatalf("%s: %s %+v, want approval.recorded", what, out.Type(), r)
	}
	rec, err := events.DecodeRecordedApproval(out)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// ended waits for the decision or the end of request id's job.
func (e *env) ended(t testing.TB, id string) event.Event {
	t.Helper()
	return e.audit.await(t, "the end of "+id, func(x event.Event) bool {
		if x.Extensions()[events.ExtRequestID] != id {
			return false
		}
		if x.Type() == events.JobDenied {
			return true
		}
		sc, err := events.DecodeStateChange(x)
		return err == nil && sc.Ended
	})
}

// names renders events as short types (state changes with their state).
func names(es []event.Event) string {
	var parts []string
	for _, e := range es {
		s := strings.TrimSuffix(strings.TrimPrefix(e.Type(), events.Prefix+"."), ".v1")
		if sc, err := events.DecodeStateChange(e); err == nil && e.Type() == events.JobStateChanged {
			s += ":" + sc.State
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func counts(cs []events.ApprovalCount) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %d/%d %v", c.Rule, len(c.Approvers), c.Count, c.Approvers))
	}
	return strings.Join(parts, "; ")
}
