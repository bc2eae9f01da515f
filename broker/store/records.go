package store

import "time"

// Decision outcomes.
const (
	OutcomeApproved = "approved"
	OutcomeDenied   = "denied"
	// OutcomePending: a policy rule holds the request for approvers;
	// ResolveDecision settles it.
	OutcomePending = "pending"
)

// Decision is the recorded outcome of one job request.
type Decision struct {
	RequestKey string // EventKey of the job request
	RequestID  string // CloudEvent id of the job request
	Principal  string
	// UserID is the directory user the principal was linked to ("" when
	// none): jobs and grants are found by it, so that a renamed user's
	// jobs are still found.
	UserID string
	// EventID is the id of the decision's audit event (job.approved or
	// job.denied): the cause of what the approval leads to.
	EventID        string
	Outcome        string // OutcomeApproved, OutcomeDenied or OutcomePending
	Role           string
	ServiceAccount string
	PolicyVersion  string
	Reasons        []string
	DecidedAt      time.Time
	// The caps of an approval: how long the job may run and how long its
	// credential may live (zero: no role cap).
	MaxDuration        time.Duration
	CredentialLifetime time.Duration
	// RequestDigest identifies the exact request decided (a hash of its
	// data, token included): a later event with the same key and another
	// digest is not the same request.
	RequestDigest string
}

// Job kinds.
const (
	KindBatch = "batch" // Dataproc Serverless batch
	KindJob   = "job"   // job on a named cluster
)

// Job is a Dataproc job or batch the broker submitted.
type Job struct {
	RequestID         string // CloudEvent id of the job request; the key
	RequestKey        string
	Principal         string
	UserID            string // directory user id ("" when not linked)
	Role              string
	ServiceAccount    string
	Kind              string // KindBatch or KindJob
	Project           string
	Region            string
	Cluster           string // "" for a batch
	DataprocID        string // batch_id or job_id
	DataprocRequestID string // request_id sent to Dataproc
	Resource          string // full resource name
	State             string // Dataproc state name
	Ended             bool
	NextPollAt        time.Time
	Attempts          int // polls since the last change
	// LastEventID is the id of the last audit event of the job's trail
	// (job.submitted, then each job.state_changed): the cause of the next.
	LastEventID string
	// Traceparent is the W3C trace context of the step that recorded the
	// job: the watcher continues the request's trace from it ("" for none).
	Traceparent string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Grant is a short-lived credential the broker issued. It holds the
// credential's fingerprint, never the credential.
type Grant struct {
	ID        string // fingerprint of the credential
	RequestID string
	Principal string
	UserID    string // directory user id ("" when not linked)
	// EventID is the id of the credential.issued audit event.
	EventID        string
	Role           string
	ServiceAccount string
	// RequestKey and the target name the workload the grant was minted
	// for (its Dataproc ids derive from the key): a cascade cancels it
	// even when the submit was never recorded as a Job.
	RequestKey   string
	Project      string
	Region       string
	Cluster      string // "" for a batch
	ExpiresAt    time.Time
	RevokedAt    *time.Time
	RevokeReason string
	CreatedAt    time.Time
}
