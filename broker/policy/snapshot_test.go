package policy

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestReplayFromSnapshot(t *testing.T) {
	p := examplePolicy(t)
	reqs := []Request{
		etlJob(dana),
		etlJob(carl),
		with(etlJob(dana), func(r *Request) { r.MaxDuration = 90 * 60e9; r.Role = "etl"; r.Justification = "why" }),
		with(etlJob(dana), func(r *Request) {
			r.Job.Properties = map[string]string{"spark.hadoop.fs.gs.auth.service.account.private.key": "-----BEGIN", "spark.jars": "gs://evil/x.jar"}
		}),
	}
	for _, req := range reqs {
		first := p.Evaluate(req)
		// The snapshot travels as JSON in the audit event.
		raw, err := json.Marshal(first.Input)
		if err != nil {
			t.Fatalf("json.Marshal(Input) = %v", err)
		}
		var input map[string]any
		if err := json.Unmarshal(raw, &input); err != nil {
			t.Fatal(err)
		}
		replayReq, err := RequestFromInput(input)
		if err != nil {
			t.Fatalf("RequestFromInput(%s) = %v", raw, err)
		}
		replay := p.Evaluate(replayReq)
		if diff := cmp.Diff(first, replay, cmpopts.IgnoreFields(Decision{}, "Input")); diff != "" {
			t.Errorf("replay of %s differs (-first +replay):\n%s", raw, diff)
		}
	}
}

func TestSnapshotRedactsSecrets(t *testing.T) {
	req := etlJob(dana)
	req.Job.Properties = map[string]string{
		"spark.hadoop.fs.s3a.secret.key":                              "s3cr3t",
		"spark.hadoop.google.cloud.auth.service.account.json.keyfile": "/k.json",
		"spark.executor.memory":                                       "4g",
	}
	props := Snapshot(req)["request"].(*Request).Job.Properties
	want := map[string]string{
		"spark.hadoop.fs.s3a.secret.key":                              Redacted,
		"spark.hadoop.google.cloud.auth.service.account.json.keyfile": Redacted,
		"spark.executor.memory":                                       "4g",
	}
	if diff := cmp.Diff(want, props); diff != "" {
		t.Errorf("Snapshot() properties mismatch (-want +got):\n%s", diff)
	}
	if got := req.Job.Properties["spark.hadoop.fs.s3a.secret.key"]; got != "s3cr3t" {
		t.Errorf("Snapshot() modified the request's properties: %q", got)
	}
}
