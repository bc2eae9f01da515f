package events

import "time"

// Views a principal may ask access for (AccessRequest.View).
const (
	ViewLogs = "logs" // a job's driver output and the cluster's logs
	ViewUI   = "ui"   // the cluster's web UIs through the Component Gateway
)

// AccessRequest is the data of access.requested.v1: time-bound access to
// the logs or web UIs of a cluster the broker created, named by the
// cluster's request or by a job that ran on it.
type AccessRequest struct {
	IDToken          string `json:"id_token"` // requester's OIDC ID token: a secret
	ClusterRequestID string `json:"cluster_request_id,omitempty"`
	JobRequestID     string `json:"job_request_id,omitempty"`
	View             string `json:"view"`               // ViewLogs or ViewUI
	Duration         string `json:"duration,omitempty"` // Go duration; default: the role's cap
	Justification    string `json:"justification,omitempty"`
}

// Facts returns the request without its ID token.
func (r AccessRequest) Facts() AccessFacts {
	return AccessFacts{ClusterRequestID: r.ClusterRequestID, JobRequestID: r.JobRequestID, View: r.View,
		Duration: r.Duration, Justification: r.Justification}
}

// AccessFacts is an AccessRequest without its ID token.
type AccessFacts struct {
	ClusterRequestID string `json:"cluster_request_id,omitempty"`
	JobRequestID     string `json:"job_request_id,omitempty"`
	View             string `json:"view"`
	Duration         string `json:"duration,omitempty"`
	Justification    string `json:"justification,omitempty"`
}

// AccessDecision is the data of access.approved.v1 and access.denied.v1.
// An approval names the conditional IAM binding the broker adds: who
// (Member), what (IAMRole), on which cluster (Resource), until when.
type AccessDecision struct {
	RequestID     string              `json:"request_id"` // id of the access.requested event
	Principal     *Principal          `json:"principal,omitempty"`
	Outcome       string              `json:"outcome"`
	Reasons       []Reason            `json:"reasons,omitempty"`
	Binding       string              `json:"binding,omitempty"` // the policy binding that matched
	Role          string              `json:"role,omitempty"`
	View          string              `json:"view,omitempty"`
	Resource      string              `json:"resource,omitempty"` // the cluster
	IAMRole       string              `json:"iam_role,omitempty"`
	Member        string              `json:"member,omitempty"` // e.g. user:alice@example.com
	ExpiresAt     time.Time           `json:"expires_at,omitzero"`
	PolicyVersion string              `json:"policy_version,omitempty"`
	Input         AccessDecisionInput `json:"input"`
}

// AccessDecisionInput is what an access decision was made on.
type AccessDecisionInput struct {
	Claims   map[string]any `json:"claims,omitempty"`
	Request  AccessFacts    `json:"request"`
	Time     time.Time      `json:"time"`
	Stage    string         `json:"stage,omitempty"`
	Identity map[string]any `json:"identity,omitempty"`
	Owner    string         `json:"owner,omitempty"` // the cluster's owner
}

// IAMCondition is an IAM Condition as set on a binding.
type IAMCondition struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Expression  string `json:"expression"` // request.time < timestamp("...")
}

// AccessGrant is the data of access.granted.v1: the binding is in the
// cluster's IAM policy.
type AccessGrant struct {
	RequestID string       `json:"request_id"`
	Resource  string       `json:"resource"`
	IAMRole   string       `json:"iam_role"`
	Member    string       `json:"member"`
	Condition IAMCondition `json:"condition"`
	ExpiresAt time.Time    `json:"expires_at"`
	// Attempts counts the read-modify-write rounds SetIamPolicy took
	// (more than one when a concurrent writer changed the policy's etag).
	Attempts int `json:"attempts"`
}

// Outcomes of a binding removal (AccessExpiry.Outcome).
const (
	BindingRemoved = "removed" // the binding was in the policy and is gone
	BindingAbsent  = "absent"  // it was no longer in the policy (the cluster, or someone, removed it)
)

// AccessExpiry is the data of access.expired.v1: a binding's time is up
// and the broker removed it from the cluster's IAM policy (IAM had already
// stopped honouring its condition).
type AccessExpiry struct {
	RequestID      string    `json:"request_id"`
	Resource       string    `json:"resource"`
	IAMRole        string    `json:"iam_role"`
	Member         string    `json:"member"`
	ConditionTitle string    `json:"condition_title"`
	ExpiresAt      time.Time `json:"expires_at"`
	Outcome        string    `json:"outcome"` // BindingRemoved or BindingAbsent
}

// Drift kinds and actions (DriftFinding).
const (
	DriftUnbacked = "unbacked" // a binding the broker made that no grant backs any more
	DriftMissing  = "missing"  // an active grant whose binding is not in the policy
	DriftRemoved  = "removed"
	DriftReported = "reported"
)

// AccessDrift is the data of access.drift_found.v1: what the reconciler
// found in one cluster's IAM policy that the store does not bear out, and
// what it did.
type AccessDrift struct {
	Resource string         `json:"resource"`
	Findings []DriftFinding `json:"findings"`
}

// DriftFinding is one binding out of step with the store.
type DriftFinding struct {
	Kind           string `json:"kind"` // DriftUnbacked or DriftMissing
	IAMRole        string `json:"iam_role"`
	Member         string `json:"member"`
	ConditionTitle string `json:"condition_title,omitempty"`
	RequestID      string `json:"request_id,omitempty"` // the access request, when known
	Action         string `json:"action"`               // DriftRemoved or DriftReported
	Detail         string `json:"detail,omitempty"`
}
