package events_test

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/events"
)

var exampleTime = time.Date(2025, 11, 27, 2, 0, 0, 0, time.UTC)

func exampleRequest() events.JobRequest {
	return events.JobRequest{
		IDToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl",
		Role:    "analytics-etl",
		Target:  events.Target{Project: "acme-analytics-prod", Region: "europe-west4"},
		Job: events.JobSpec{
			Type:          events.JobTypePySpark,
			MainPythonURI: "gs://acme-etl-code/jobs/daily_sales.py",
			Args:          []string{"--date", "2025-11-27"},
		},
		MaxDuration: "2h",
	}
}

// A pipeline builds a job request and publishes it in binary mode: the ID
// token is in the data, never in an attribute.
func ExampleNewJobRequested() {
	e, err := events.NewJobRequested("//composer/acme-prod/dags/daily_sales", exampleRequest(),
		events.WithID("7c1f2d0e-55a1-4c43-9a0e-2f7f1e6f4b10"), events.WithTime(exampleTime))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := events.Encode(e)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m.Attributes)) {
		fmt.Printf("%s: %s\n", k, m.Attributes[k])
	}
	// Output:
	// Content-Type: application/json
	// ce-datacontenttype: application/json
	// ce-dataschema: https://dataproc-iis.dev/schemas/job.requested.v1.json
	// ce-id: 7c1f2d0e-55a1-4c43-9a0e-2f7f1e6f4b10
	// ce-source: //composer/acme-prod/dags/daily_sales
	// ce-specversion: 1.0
	// ce-time: 2025-11-27T02:00:00Z
	// ce-type: dev.dataproc-iis.job.requested.v1
}

// New refuses data that its schema does not allow, so nothing invalid is
// ever published.
func ExampleNew_invalid() {
	r := exampleRequest()
	r.Job.MainPythonURI = "https://example.com/job.py"
	_, err := events.New(events.JobRequested, "//ci/acme", r)
	fmt.Println(fault.ReasonOf(err), fault.IsPermanent(err))
	fmt.Println(err)
	// Output:
	// schema_violation true
	// schema_violation: dev.dataproc-iis.job.requested.v1 data: at /job/main_python_uri: does not match pattern ^gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]/[^\x00-\x1f\x7f]+$
}

// A consumer decodes and validates a message, then reads the typed data.
func ExampleDecode() {
	e, _ := events.NewJobRequested("//ci/acme", exampleRequest())
	m, _ := events.Encode(e)

	got, err := events.Decode(m)
	if err != nil {
		fmt.Println(fault.ReasonOf(err)) // audit as event.rejected, then ack
		return
	}
	req, err := events.DecodeJobRequest(got)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Type(), req.Target.Region, req.Job.Type)
	// Output:
	// dev.dataproc-iis.job.requested.v1 europe-west4 pyspark
}

// Every audit event names its cause, so one query follows a job from trigger
// to output.
func ExampleWithCause() {
	req, _ := events.NewJobRequested("//ci/acme", exampleRequest(),
		events.WithID("req-1"), events.WithTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	denied, err := events.NewJobDenied("//dataproc-iis/broker", events.JobDecision{
		RequestID: req.ID(),
		Outcome:   events.OutcomeDenied,
		Reasons:   []events.Reason{{Code: "token_expired", Message: "the ID token has expired"}},
		Input:     events.DecisionInput{Request: exampleRequest().Facts(), Time: exampleTime},
	}, events.WithCause(req))
	if err != nil {
		fmt.Println(err)
		return
	}
	ext := denied.Extensions()
	fmt.Println(ext[events.ExtCausationID], ext[events.ExtRequestID], ext[events.ExtTraceparent])
	// Output:
	// req-1 req-1 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
}

// A message that cannot be accepted becomes one event.rejected, without
// its payload.
func ExampleReject() {
	m := events.Message{
		Data:       []byte(`{"id_token": "secret"}`),
		Attributes: map[string]string{"ce-specversion": "1.0", "ce-id": "x-1", "ce-source": "//ci/acme", "ce-type": events.JobRequested},
	}
	_, err := events.Decode(m)
	rej := events.Reject(m, "1286843039", err)
	e, err := events.NewEventRejected("//dataproc-iis/broker", rej)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type())
	fmt.Println(rej.Reason, rej.ReceivedID)
	fmt.Println(rej.Detail)
	// Output:
	// dev.dataproc-iis.event.rejected.v1
	// schema_violation x-1
	// schema_violation: dev.dataproc-iis.job.requested.v1 data: at /: missing properties: target, job; at /id_token: does not match pattern ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$; at /id_token: shorter than 20 characters
}
