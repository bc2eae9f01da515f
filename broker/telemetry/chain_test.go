package telemetry_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/broker/telemetry/telemetrytest"
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
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/, gs://iis-dev-data/]
bindings:
  - {group: data-eng, role: etl}
`

const directoryYAML = `
users:
  - {user_name: alice@example.com, emails: [alice@example.com], groups: [data-eng]}
  - {user_name: bob@example.com, emails: [bob@example.com], groups: [data-eng]}
  - {user_name: dave@example.com, emails: [dave@example.com], groups: [contractors]}
`

func start(t *testing.T, timing dataprocserver.Timing) (*telemetrytest.Recorder, *brokertest.Env, *brokertest.Stack) {
	t.Helper()
	rec := telemetrytest.Install(t) // before the broker: it observes the store
	stack := brokertest.NewStack(t, policyYAML, timing)
	env := brokertest.New(t, stack.Option())
	env.ImportDirectory(directoryYAML)
	env.Start()
	return rec, env, stack
}

func jobRequest(t testing.TB, token string, opts ...events.Option) event.Event {
	t.Helper()
	e, err := events.NewJobRequested("//airflow/dag/nightly", events.JobRequest{
		IDToken: token,
		Target:  events.Target{Project: "iis-dev", Region: "europe-west1"},
		Job:     events.JobSpec{Type: "pyspark", MainPythonURI: "gs://iis-dev-code/etl.py"},
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// await reads the audit topic until an event about request id satisfies done.
func await(t *testing.T, env *brokertest.Env, id string, done func(event.Event) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-env.Audit:
			if e.Extensions()[events.ExtRequestID] == id && done(e) {
				return
			}
		case <-deadline:
			t.Fatalf("request %s: no awaited audit event", id)
		}
	}
}

func state(want string) func(event.Event) bool {
	return func(e event.Event) bool {
		sc, err := events.DecodeStateChange(e)
		return e.Type() == events.JobStateChanged && err == nil && sc.State == want
	}
}

// eventually polls cond (spans end after the event they report is
// delivered) for a few seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func missing(spans tracetest.SpanStubs, want []string) []string {
	have := names(spans)
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

// TestOneTracePerJobRequest: a pipeline publishes a job request in a span
// of its own; the broker continues that trace through every step, and
// every event it emits for the request carries the trace.
func TestOneTracePerJobRequest(t *testing.T) {
	rec, env, stack := start(t, dataprocserver.Timing{Pending: 20 * time.Millisecond, Running: 60 * time.Millisecond})
	ctx, pub := telemetry.Start(context.Background(), "publish job.requested", trace.WithSpanKind(trace.SpanKindProducer))
	req := jobRequest(t, stack.Token("alice@example.com"), events.WithTraceparent(telemetry.Traceparent(ctx)))
	env.PublishEvent(req)
	pub.End()
	await(t, env, req.ID(), state("SUCCEEDED"))
	id := pub.SpanContext().TraceID()

	want := []string{
		"publish job.requested",                                   // the pipeline
		"process job.requested.v1",                                // the worker
		"iis.decide", "iis.verify", "iis.directory", "iis.policy", // the decision
		"iis.mint", "google.iam.credentials.v1.IAMCredentials/GenerateAccessToken",
		"iis.submit", "google.cloud.dataproc.v1.BatchController/CreateBatch",
		"iis.watch", "google.cloud.dataproc.v1.BatchController/GetBatch",
		"publish job.approved.v1", "publish credential.issued.v1", "publish job.submitted.v1", "publish job.state_changed.v1",
	}
	eventually(t, "the trace's spans", func() bool { return len(missing(rec.Trace(id), want)) == 0 })

	spans := rec.Trace(id)
	for _, s := range spans {
		if s.Name == "iis.verify" || s.Name == "iis.directory" || s.Name == "iis.policy" {
			if p := parentName(spans, s); p != "iis.decide" {
				t.Errorf("span %s has parent %q, want iis.decide", s.Name, p)
			}
		}
	}
	trail := env.Trail(req.ID())
	if len(trail) < 4 {
		t.Fatalf("trail has %d events", len(trail))
	}
	for _, e := range trail {
		tp, _ := e.Extensions()[events.ExtTraceparent].(string)
		if !strings.Contains(tp, id.String()) {
			t.Errorf("%s carries traceparent %q, want trace %s", e.Type(), tp, id)
		}
		if tp == telemetry.Traceparent(ctx) {
			t.Errorf("%s carries the pipeline's own span context, want the broker's step as parent", e.Type())
		}
	}
	// The job's states changed in polls of the request's trace: no other
	// trace holds a span about this request.
	for _, s := range rec.Spans.GetSpans() {
		if s.SpanContext.TraceID() != id && attr(s, "iis.request_id") == req.ID() {
			t.Errorf("span %s about the request is in trace %s, want %s", s.Name, s.SpanContext.TraceID(), id)
		}
	}
}

func parentName(spans tracetest.SpanStubs, s tracetest.SpanStub) string {
	for _, p := range spans {
		if p.SpanContext.SpanID() == s.Parent.SpanID() {
			return p.Name
		}
	}
	return ""
}

func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// TestLeaverCascadeIsOneTrace: the SCIM request's server span is the root
// of one trace that holds the identity event's publish, the cascade, each
// cancel (linked to its job's trace) and the access.revoked publish.
func TestLeaverCascadeIsOneTrace(t *testing.T) {
	rec, env, stack := start(t, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: time.Hour})
	req := jobRequest(t, stack.Token("bob@example.com"))
	env.PublishEvent(req)
	await(t, env, req.ID(), state("RUNNING"))
	base := env.SCIM()
	env.SCIMDeactivate(base, env.SCIMUserID(base, "bob@example.com"))
	await(t, env, req.ID(), state("CANCELLED"))

	var root tracetest.SpanStub
	eventually(t, "the SCIM server span", func() bool {
		for _, s := range rec.Spans.GetSpans() {
			if s.Name == "scim PATCH" && s.SpanKind == trace.SpanKindServer {
				root = s
				return true
			}
		}
		return false
	})
	id := root.SpanContext.TraceID()
	want := []string{"scim PATCH", "publish identity.user.deactivated.v1", "process identity.user.deactivated.v1",
		"iis.cascade.cancel", "iis.cancel", "google.longrunning.Operations/CancelOperation", "publish access.revoked.v1"}
	eventually(t, "the cascade's spans", func() bool { return len(missing(rec.Trace(id), want)) == 0 })
	for _, s := range rec.Trace(id) {
		if s.Name != "iis.cascade.cancel" {
			continue
		}
		if len(s.Links) != 1 || s.Links[0].SpanContext.TraceID() == id {
			t.Errorf("cascade cancel links = %+v, want one link to the job request's trace", s.Links)
		}
	}
	revoked := 0
	for _, e := range env.Trail(req.ID()) {
		if e.Type() == events.JobStateChanged {
			if tp, _ := e.Extensions()[events.ExtTraceparent].(string); strings.Contains(tp, id.String()) {
				revoked++ // the CANCELLING the cascade recorded
			}
		}
	}
	if revoked == 0 {
		t.Error("no job.state_changed of the job carries the cascade's trace")
	}
}

// TestMetricsMove: an approval, a denial, a token that does not verify and
// a leaver each move the metrics they should, and no label is a principal
// or a request id.
func TestMetricsMove(t *testing.T) {
	rec, env, stack := start(t, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: time.Hour})
	kv := attribute.String

	approved := jobRequest(t, stack.Token("bob@example.com"))
	env.PublishEvent(approved)
	await(t, env, approved.ID(), state("RUNNING"))
	if n := rec.Count("iis.decisions", kv("outcome", "approved"), kv("reason", "allowed"), kv("stage", "policy")); n != 1 {
		t.Errorf("approved decisions = %d, want 1", n)
	}
	if n := rec.Count("iis.decision.duration", kv("outcome", "approved")); n != 1 {
		t.Errorf("decision latency observations = %d, want 1", n)
	}
	if n := rec.Count("iis.credential.mints", kv("result", "ok")); n != 1 {
		t.Errorf("mints = %d, want 1", n)
	}
	if n := rec.Count("iis.dataproc.calls", kv("method", "CreateBatch"), kv("region", "europe-west1"), kv("code", "OK")); n != 1 {
		t.Errorf("CreateBatch calls = %d, want 1", n)
	}
	if n := rec.Count("iis.jobs.active", kv("state", "RUNNING")); n != 1 {
		t.Errorf("active RUNNING jobs = %d, want 1", n)
	}

	denied := jobRequest(t, stack.Token("dave@example.com"))
	env.PublishEvent(denied)
	await(t, env, denied.ID(), func(e event.Event) bool { return e.Type() == events.JobDenied })
	if n := rec.Count("iis.decisions", kv("outcome", "denied"), kv("reason", "no_binding")); n != 1 {
		t.Errorf("no_binding denials = %d, want 1", n)
	}

	forged := jobRequest(t, "aaaaaaaaaa.bbbbbbbbbb.cccccccccc")
	env.PublishEvent(forged)
	await(t, env, forged.ID(), func(e event.Event) bool { return e.Type() == events.JobDenied })
	if n := rec.Count("iis.token.verification.failures"); n != 1 {
		t.Errorf("token verification failures = %d, want 1", n)
	}
	if n := rec.Count("iis.decisions", kv("outcome", "denied"), kv("stage", "token")); n != 1 {
		t.Errorf("denials at the token stage = %d, want 1", n)
	}

	base := env.SCIM()
	env.SCIMDeactivate(base, env.SCIMUserID(base, "bob@example.com"))
	await(t, env, approved.ID(), state("CANCELLED"))
	if n := rec.Count("iis.revocation.latency", kv("trigger", "user_deactivated")); n != 1 {
		t.Errorf("revocation latency observations = %d, want 1", n)
	}
	if n := rec.Count("iis.scim.requests", kv("method", "PATCH"), kv("status", "200")); n != 1 {
		t.Errorf("SCIM PATCH 200 = %d, want 1", n)
	}
	if n := rec.Count("iis.dataproc.calls", kv("method", "CancelOperation"), kv("code", "OK")); n != 1 {
		t.Errorf("CancelOperation calls = %d, want 1", n)
	}
	if n := rec.Count("iis.job.state.changes", kv("state", "CANCELLED")); n != 1 {
		t.Errorf("jobs that entered CANCELLED = %d, want 1", n)
	}
	if n := rec.Count("iis.jwks.refreshes", kv("result", "ok")); n < 1 {
		t.Errorf("JWKS fetches = %d, want at least 1", n)
	}

	// Cardinality: no label value is a principal, a request id or a token.
	for _, sm := range rec.Collect().ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, set := range labelSets(m) {
				for _, v := range set.ToSlice() {
					s := v.Value.Emit()
					for _, bad := range []string{"@", approved.ID(), denied.ID(), forged.ID(), "aaaaaaaaaa"} {
						if strings.Contains(s, bad) {
							t.Errorf("metric %s has label %s=%q", m.Name, v.Key, s)
						}
					}
				}
			}
		}
	}
}

func labelSets(m metricdata.Metrics) []attribute.Set {
	var out []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	}
	return out
}
