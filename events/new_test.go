package events

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/go-cmp/cmp"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewDefaults(t *testing.T) {
	before := time.Now()
	e, err := NewJobRequested(testSource, sampleJobRequest())
	after := time.Now()
	if err != nil {
		t.Fatalf("NewJobRequested() = %v", err)
	}
	if !uuidV4.MatchString(e.ID()) {
		t.Errorf("ID() = %q, want a random UUID", e.ID())
	}
	if got := e.Time(); got.Before(before.Add(-time.Second)) || got.After(after) || got.Location() != time.UTC {
		t.Errorf("Time() = %v, want now in UTC", got)
	}
	got := envelopeOf(e)
	got.ID, got.Time = "", time.Time{}
	want := envelope{
		SpecVersion: "1.0", Source: testSource, Type: JobRequested, DataContentType: ContentType,
		DataSchema: "https://dataproc-iis.dev/schemas/job.requested.v1.json",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewJobRequested() envelope (-want +got):\n%s", diff)
	}
	e2, _ := NewJobRequested(testSource, sampleJobRequest())
	if e2.ID() == e.ID() {
		t.Errorf("two events share id %s", e.ID())
	}
}

func TestNewOptions(t *testing.T) {
	local := time.Date(2025, 11, 27, 3, 0, 3, 512_000_000, time.FixedZone("CET", 3600))
	e, err := NewJobRequested(testSource, sampleJobRequest(),
		WithID("req-1"), WithTime(local), WithSubject("acme-analytics-prod"),
		WithRequestID("req-0"), WithTraceparent(testTrace))
	if err != nil {
		t.Fatalf("NewJobRequested() = %v", err)
	}
	want := envelope{
		SpecVersion: "1.0", ID: "req-1", Source: testSource, Type: JobRequested, Subject: "acme-analytics-prod",
		DataContentType: ContentType, DataSchema: "https://dataproc-iis.dev/schemas/job.requested.v1.json",
		Time:       testTime,
		Extensions: map[string]any{ExtRequestID: "req-0", ExtTraceparent: testTrace},
	}
	if diff := cmp.Diff(want, envelopeOf(e)); diff != "" {
		t.Errorf("NewJobRequested(options) envelope (-want +got):\n%s", diff)
	}
	if e.Time().Location() != time.UTC {
		t.Errorf("Time().Location() = %v, want UTC", e.Time().Location())
	}
}

func mustNew(t testing.TB, typ string, data any, opts ...Option) event.Event {
	t.Helper()
	e, err := New(typ, testSource, data, opts...)
	if err != nil {
		t.Fatalf("New(%s) = %v", typ, err)
	}
	return e
}

func TestWithCause(t *testing.T) {
	req := mustNew(t, JobRequested, sampleJobRequest(), WithID("req-1"), WithTraceparent(testTrace),
		WithRequestID("forged")) // a publisher's requestid on a request is ignored
	cancel := mustNew(t, JobCancelRequested, CancelRequest{IDToken: testToken, RequestID: "req-1"}, WithID("cancel-1"))
	approved := mustNew(t, JobApproved, sampleDecision(OutcomeApproved), WithCause(req), WithID("appr-1"))
	orphan := mustNew(t, UserDeactivated, UserChange{User: sampleUser(false), Locked: true}, WithID("scim-1"))

	tests := []struct {
		name   string
		parent event.Event
		extra  []Option
		want   map[string]any
	}{
		{"job.requested is its own request", req, nil,
			map[string]any{ExtCausationID: "req-1", ExtRequestID: "req-1", ExtTraceparent: testTrace}},
		{"cancel names the original request", cancel, nil,
			map[string]any{ExtCausationID: "cancel-1", ExtRequestID: "req-1"}},
		{"other events pass requestid and traceparent on", approved, nil,
			map[string]any{ExtCausationID: "appr-1", ExtRequestID: "req-1", ExtTraceparent: testTrace}},
		{"no request behind an identity event", orphan, nil,
			map[string]any{ExtCausationID: "scim-1"}},
		{"later options override", approved, []Option{WithRequestID("req-9")},
			map[string]any{ExtCausationID: "appr-1", ExtRequestID: "req-9", ExtTraceparent: testTrace}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]Option{WithCause(tt.parent)}, tt.extra...)
			e, err := NewJobStateChanged(testSource, StateChange{RequestID: "req-1", Resource: testBatch, State: "RUNNING"}, opts...)
			if err != nil {
				t.Fatalf("NewJobStateChanged(WithCause(%s)) = %v", tt.parent.ID(), err)
			}
			if diff := cmp.Diff(tt.want, e.Extensions()); diff != "" {
				t.Errorf("WithCause(%s) extensions (-want +got):\n%s", tt.parent.ID(), diff)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	bad := sampleJobRequest()
	bad.Target.Region = "Europe West"
	var nilReq *JobRequest
	tests := []struct {
		name   string
		typ    string
		data   any
		opts   []Option
		reason string
	}{
		{"unknown type", Prefix + ".job.exploded.v1", sampleJobRequest(), nil, ReasonUnknownType},
		{"data of another type", JobRequested, CancelRequest{}, nil, ReasonTypeMismatch},
		{"nil data", JobRequested, nil, nil, ReasonTypeMismatch},
		{"nil pointer", JobRequested, nilReq, nil, ReasonTypeMismatch},
		{"schema violation", JobRequested, bad, nil, ReasonSchemaViolation},
		{"empty struct", JobRequested, JobRequest{}, nil, ReasonSchemaViolation},
		{"denial without reasons", JobDenied, JobDecision{RequestID: "r", Outcome: OutcomeDenied}, nil, ReasonSchemaViolation},
		{"approval as denial", JobDenied, sampleDecision(OutcomeApproved), nil, ReasonSchemaViolation},
		{"bad traceparent", JobRequested, sampleJobRequest(), []Option{WithTraceparent("not-a-trace")}, ReasonMalformed},
		{"id with newline", JobRequested, sampleJobRequest(), []Option{WithID("a\nb")}, ReasonMalformed},
		{"id too long", JobRequested, sampleJobRequest(), []Option{WithID(strings.Repeat("x", MaxIDLength+1))}, ReasonMalformed},
		{"requestid too long", JobRequested, sampleJobRequest(), []Option{WithRequestID(strings.Repeat("x", MaxIDLength+1))}, ReasonMalformed},
		{"subject too long", JobRequested, sampleJobRequest(), []Option{WithSubject(strings.Repeat("s", MaxAttributeValue+1))}, ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(tt.typ, testSource, tt.data, tt.opts...)
			wantFault(t, "New("+tt.name+")", err, tt.reason)
			if e.Context != nil {
				t.Errorf("New(%s) returned an event with an error", tt.name)
			}
		})
	}
	for _, src := range []string{"", "a b", "%zz", strings.Repeat("s", MaxAttributeValue+1)} {
		_, err := NewJobRequested(src, sampleJobRequest())
		wantFault(t, "NewJobRequested(source "+strings.ReplaceAll(src[:min(len(src), 8)], " ", "_")+")", err, ReasonMalformed)
	}
}

func TestNewAcceptsPointer(t *testing.T) {
	r := sampleJobRequest()
	if _, err := New(JobRequested, testSource, &r); err != nil {
		t.Errorf("New(JobRequested, &JobRequest) = %v, want nil", err)
	}
}

func TestFacts(t *testing.T) {
	r := sampleJobRequest()
	f := r.Facts()
	back := JobRequest{IDToken: r.IDToken, Role: f.Role, Target: f.Target, Job: f.Job,
		Justification: f.Justification, MaxDuration: f.MaxDuration, Labels: f.Labels}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("Facts() loses fields (-want +got):\n%s", diff)
	}
}

func TestNewFromJSON(t *testing.T) {
	good := `{"id_token":"eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl","target":{"project":"analytics-prod","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://code/etl.py"}}`
	e, err := NewFromJSON(JobRequested, "//test", []byte(good))
	if err != nil {
		t.Fatalf("NewFromJSON(valid) = %v", err)
	}
	r, err := DecodeJobRequest(e)
	if err != nil || r.Job.MainPythonURI != "gs://code/etl.py" {
		t.Errorf("DecodeJobRequest = %+v, %v", r, err)
	}
	for name, tc := range map[string]struct{ typ, data, reason string }{
		"schema":       {JobRequested, `{"job":{}}`, ReasonSchemaViolation},
		"not JSON":     {JobRequested, `{`, ReasonMalformed},
		"unknown type": {Prefix + ".job.exploded.v1", `{}`, ReasonUnknownType},
	} {
		if _, err := NewFromJSON(tc.typ, "//test", []byte(tc.data)); reasonOf(err) != tc.reason {
			t.Errorf("%s: NewFromJSON() = %v, want reason %s", name, err, tc.reason)
		}
	}
}
