package events

import "time"

// Submission kinds (JobSubmission.Kind).
const (
	KindBatch = "batch" // Dataproc Serverless batch, runs as the role's service account
	KindJob   = "job"   // job on a named cluster, runs as the cluster's VM service account
)

// JobSubmission is the data of job.submitted.v1.
type JobSubmission struct {
	RequestID         string            `json:"request_id"` // id of the job.requested event
	Kind              string            `json:"kind"`       // "batch" | "job"
	Project           string            `json:"project"`
	Region            string            `json:"region"`
	Cluster           string            `json:"cluster,omitempty"`   // set for kind "job" only
	Resource          string            `json:"resource"`            // projects/P/locations/R/batches/B or projects/P/regions/R/jobs/J
	DataprocRequestID string            `json:"dataproc_request_id"` // idempotency key sent to Dataproc ([A-Za-z0-9_-]{1,40})
	ServiceAccount    string            `json:"service_account"`     // identity the workload runs as
	Labels            map[string]string `json:"labels,omitempty"`    // labels set on the Dataproc resource
}

// StateChange is the data of job.state_changed.v1.
type StateChange struct {
	RequestID     string `json:"request_id"`               // id of the job.requested event
	Resource      string `json:"resource"`                 // Dataproc resource name
	PreviousState string `json:"previous_state,omitempty"` // Dataproc job or batch state
	State         string `json:"state"`                    // Dataproc job or batch state
	Detail        string `json:"detail,omitempty"`         // Dataproc's state message
	Ended         bool   `json:"ended"`                    // terminal state: the grant is closed
}

// IssuedCredential is the data of credential.issued.v1. The token itself is
// never published: Fingerprint identifies it.
type IssuedCredential struct {
	RequestID      string    `json:"request_id"`          // id of the job.requested event
	ServiceAccount string    `json:"service_account"`     // whose token was minted
	Scopes         []string  `json:"scopes"`              // OAuth scopes of the token
	Delegates      []string  `json:"delegates,omitempty"` // delegation chain, if any
	ExpireTime     time.Time `json:"expire_time"`         // as returned by IAM Credentials
	Lifetime       string    `json:"lifetime"`            // Go duration requested
	Fingerprint    string    `json:"fingerprint"`         // "sha256:" + hex digits of the token's SHA-256
}
