package events

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a message in testdata/invalid and the reason Decode must give.
type fixture struct {
	Description string            `json:"description"`
	WantReason  string            `json:"want_reason"`
	Attributes  map[string]string `json:"attributes"`
	Data        json.RawMessage   `json:"data"`        // message data: this JSON, as written
	RawData     *string           `json:"raw_data"`    // or: these bytes
	DataBase64  string            `json:"data_base64"` // or: these bytes, base64
}

func (f fixture) message(t testing.TB) Message {
	m := Message{Attributes: f.Attributes, Data: f.Data}
	switch {
	case f.RawData != nil:
		m.Data = []byte(*f.RawData)
	case f.DataBase64 != "":
		b, err := base64.StdEncoding.DecodeString(f.DataBase64)
		if err != nil {
			t.Fatalf("data_base64: %v", err)
		}
		m.Data = b
	}
	return m
}

func loadFixtures(t testing.TB) map[string]fixture {
	paths, err := filepath.Glob("testdata/invalid/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/invalid (%v)", err)
	}
	out := make(map[string]fixture, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", p, err)
		}
		var f fixture
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = f
	}
	return out
}

// fixtureSecrets are planted in the fixtures; no error may repeat them.
var fixtureSecrets = []string{"eyJhbGciOiJSUzI1NiJ9", "fixture-secret", "hunter2", "evil.example.com", "ada@example.com", "Europe West"}

func TestInvalidFixtures(t *testing.T) {
	seen := map[string]bool{}
	for name, f := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			if !strings.HasPrefix(name, f.WantReason+"-") {
				t.Errorf("fixture name does not start with its reason %q", f.WantReason)
			}
			seen[f.WantReason] = true
			m := f.message(t)
			_, err := Decode(m)
			wantFault(t, "Decode("+name+")", err, f.WantReason)
			if err == nil {
				return
			}
			msg := err.Error()
			t.Logf("Decode(%s) = %s", name, msg)
			for _, s := range append(fixtureSecrets, stringLeaves(f.Data)...) {
				if strings.Contains(msg, s) {
					t.Errorf("Decode(%s) error %q repeats the payload value %q", name, msg, s)
				}
			}
			rej := Reject(m, "1286843039", err)
			if rej.Reason != f.WantReason {
				t.Errorf("Reject(%s).Reason = %q, want %q", name, rej.Reason, f.WantReason)
			}
			if _, err := NewEventRejected(testSource, rej); err != nil {
				t.Errorf("NewEventRejected(Reject(%s)) = %v", name, err)
			}
		})
	}
	for _, r := range []string{ReasonNotCloudEvent, ReasonMalformed, ReasonUnknownType, ReasonSchemaViolation} {
		if !seen[r] {
			t.Errorf("no fixture for reason %s", r)
		}
	}
}

// stringLeaves returns the strings of at least 12 bytes in a JSON document
// (values only), except the few that are envelope attributes or schema
// words an error may legitimately name.
func stringLeaves(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if len(v) >= 12 && !strings.HasPrefix(v, Prefix) && !strings.Contains(v, "example.com/schemas") {
				out = append(out, v)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v { // keys may be property names the schemas declare
				walk(x)
			}
		}
	}
	walk(v)
	return out
}
