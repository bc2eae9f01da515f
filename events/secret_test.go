package events

import (
	"encoding/json"
	"strings"
	"testing"
)

// secret is token-like and fails every pattern it is put in.
const secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.TOKEN MUST NOT LEAK"

func TestSecretNeverInErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"as the id token", func(m map[string]any) { m["id_token"] = secret }},
		{"as the region", func(m map[string]any) { m["target"].(map[string]any)["region"] = secret }},
		{"as the job type", func(m map[string]any) { m["job"].(map[string]any)["type"] = secret }},
		{"as a job file", func(m map[string]any) { m["job"].(map[string]any)["main_python_uri"] = secret }},
		{"as max_duration", func(m map[string]any) { m["max_duration"] = secret }},
		{"as a label value", func(m map[string]any) { m["labels"] = map[string]any{"team": secret} }},
		{"as a label key", func(m map[string]any) { m["labels"] = map[string]any{secret: "x"} }},
		{"as a Spark property key", func(m map[string]any) { m["job"].(map[string]any)["properties"] = map[string]any{secret: "x"} }},
		{"as an unknown property name", func(m map[string]any) { m[secret] = "x" }},
		{"as an unknown property value", func(m map[string]any) { m["access_token"] = secret }},
		{"as an arg of the wrong type", func(m map[string]any) { m["job"].(map[string]any)["args"] = map[string]any{"a": secret} }},
		{"too long", func(m map[string]any) { m["justification"] = strings.Repeat(secret, 100) }},
		{"as an array item", func(m map[string]any) { m["job"].(map[string]any)["inputs"] = []any{"gs://ok-bucket/x", secret} }},
	}
	base, _ := json.Marshal(sampleJobRequest())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(base, &m); err != nil {
				t.Fatal(err)
			}
			tt.edit(m)
			data, _ := json.Marshal(m)
			msg := requestMessage(t)
			msg.Data = data
			_, err := Decode(msg)
			wantFault(t, "Decode(secret "+tt.name+")", err, ReasonSchemaViolation)
			if err != nil && (strings.Contains(err.Error(), "TOKEN") || strings.Contains(err.Error(), "c2VjcmV0")) {
				t.Errorf("Decode(secret %s) error = %q, contains the secret", tt.name, err)
			}
			if err == nil {
				return
			}
			rej, _ := json.Marshal(Reject(msg, "1", err))
			if strings.Contains(string(rej), "TOKEN") {
				t.Errorf("Reject(secret %s) = %s, contains the secret", tt.name, rej)
			}
		})
	}
}

func TestSecretNeverInAttributes(t *testing.T) {
	for _, s := range samples() {
		e, err := s.build(WithCause(mustNew(t, JobRequested, sampleJobRequest())))
		if err != nil {
			t.Fatalf("New(%s) = %v", s.typ, err)
		}
		m, err := Encode(e)
		if err != nil {
			t.Fatalf("Encode(%s) = %v", s.typ, err)
		}
		for k, v := range m.Attributes {
			if strings.Contains(v, testToken) || strings.Contains(v, "eyJ") {
				t.Errorf("Encode(%s) attribute %s = %q, holds a token", s.typ, k, v)
			}
			if len(v) > 0 && json.Valid([]byte(v)) && strings.ContainsAny(v, "{[") {
				t.Errorf("Encode(%s) attribute %s = %q, holds JSON data", s.typ, k, v)
			}
		}
		if spec, _ := Lookup(s.typ); spec.Channel != ChannelRequests && strings.Contains(string(m.Data), testToken) {
			t.Errorf("Encode(%s) data holds the ID token; only requests may", s.typ)
		}
	}
}

func TestDecisionInputRefusesTokens(t *testing.T) {
	for _, name := range []string{"id_token", "access_token", "refresh_token", "token", "password"} {
		d := sampleDecision(OutcomeApproved)
		d.Input.Claims = map[string]any{name: "x"}
		_, err := NewJobApproved(testSource, d)
		wantFault(t, "NewJobApproved(claims with "+name+")", err, ReasonSchemaViolation)
	}
}

// TestValidatedMemoIsExact: a changed byte under a remembered type, or the
// same bytes under another type, are validated afresh.
func TestValidatedMemoIsExact(t *testing.T) {
	e := mustNew(t, JobRequested, sampleJobRequest())
	m, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	bad := m
	bad.Data = []byte(strings.Replace(string(m.Data), `"pyspark"`, `"cobol"`, 1))
	if _, err := Decode(bad); err == nil {
		t.Error("Decode(data changed after a valid copy was seen) = nil, want a schema violation")
	}
	other := m
	other.Attributes = map[string]string{}
	for k, v := range m.Attributes {
		other.Attributes[k] = v
	}
	other.Attributes["ce-type"] = JobCancelRequested
	delete(other.Attributes, "ce-dataschema")
	if _, err := Decode(other); err == nil {
		t.Error("Decode(valid job.requested bytes as a cancel request) = nil, want a schema violation")
	}
}
