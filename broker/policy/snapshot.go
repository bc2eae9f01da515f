package policy

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dataproc-iis/iis/events"
)

// Redacted replaces, in snapshots, the value of a job property whose key
// looks like it holds a secret (events.SecretProperty).
const Redacted = events.Redacted

// Snapshot returns the input of a decision on req: {"principal": *Principal,
// "request": *Request}, which marshal to JSON, with secret-looking property
// values redacted. Evaluate puts the snapshot of its normalised request in
// Decision.Input (callers may add keys, e.g. "identity"); RequestFromInput
// reads it back. The snapshot shares slices with req, which must not be
// modified afterwards.
func Snapshot(req Request) map[string]any { return snapshot(&req) }

func snapshot(req *Request) map[string]any {
	for k := range req.Job.Properties {
		if events.SecretProperty(k) {
			r := *req
			r.Job.Properties = events.RedactProperties(req.Job.Properties)
			req = &r
			break
		}
	}
	return map[string]any{"principal": &req.Principal, "request": req}
}

// RequestFromInput rebuilds the Request of a decision from its input
// snapshot (Decision.Input, or the same object read back from an audit event
// as JSON), so that the decision can be replayed. Redacted property values
// stay redacted.
func RequestFromInput(input map[string]any) (Request, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return Request{}, fmt.Errorf("json.Marshal: %w", err)
	}
	var s struct {
		Principal Principal `json:"principal"`
		Request   Request   `json:"request"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return Request{}, fmt.Errorf("json.Unmarshal: %w", err)
	}
	s.Request.Principal = s.Principal
	return s.Request, nil
}

// requestJSON is the JSON form of a Request: the principal is separate (it is
// not part of what the requester sent) and durations are Go strings.
type requestJSON struct {
	Role          string    `json:"role,omitempty"`
	Target        Target    `json:"target"`
	Job           Job       `json:"job"`
	Justification string    `json:"justification,omitempty"`
	MaxDuration   string    `json:"max_duration,omitempty"`
	Time          time.Time `json:"time"`
}

// MarshalJSON encodes the request without its principal, with max_duration
// as a Go duration string.
func (r Request) MarshalJSON() ([]byte, error) {
	j := requestJSON{Role: r.Role, Target: r.Target, Job: r.Job, Justification: r.Justification, Time: r.Time}
	if r.MaxDuration != 0 {
		j.MaxDuration = r.MaxDuration.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (r *Request) UnmarshalJSON(data []byte) error {
	var j requestJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = Request{Role: j.Role, Target: j.Target, Job: j.Job, Justification: j.Justification, Time: j.Time}
	if j.MaxDuration != "" {
		d, err := time.ParseDuration(j.MaxDuration)
		if err != nil {
			return fmt.Errorf("max_duration: %w", err)
		}
		r.MaxDuration = d
	}
	return nil
}
