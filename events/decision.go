package events

import "time"

// Decision outcomes (JobDecision.Outcome).
const (
	OutcomeApproved = "approved"
	OutcomeDenied   = "denied"
)

// Principal types (Principal.Type).
const (
	PrincipalHuman    = "human"
	PrincipalWorkload = "workload"
)

// Principal as it appears in audit events (never a token).
type Principal struct {
	ID     string   `json:"id"` // stable principal id (e.g. e-mail or sub, per issuer mapping)
	Email  string   `json:"email,omitempty"`
	Type   string   `json:"type"` // "human" | "workload"
	Issuer string   `json:"issuer,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// JobDecision is the data of job.approved.v1 and job.denied.v1.
//
// An approval names the matched binding, the role, its service account, the
// policy version and the limits that apply. A denial has at least one reason
// and no principal when the token could not be verified. Input holds what the
// policy evaluated, so that the decision can be replayed.
type JobDecision struct {
	RequestID          string        `json:"request_id"`                    // id of the job.requested event
	Principal          *Principal    `json:"principal,omitempty"`           // who asked; nil if the token was not verified
	Outcome            string        `json:"outcome"`                       // "approved" | "denied"
	Reasons            []Reason      `json:"reasons,omitempty"`             // why (required on denial)
	Binding            string        `json:"binding,omitempty"`             // policy binding that matched
	Role               string        `json:"role,omitempty"`                // role granted (or asked for, on denial)
	ServiceAccount     string        `json:"service_account,omitempty"`     // the role's service account
	PolicyVersion      string        `json:"policy_version,omitempty"`      // version of the policy evaluated
	MaxDuration        string        `json:"max_duration,omitempty"`        // Go duration the job may run
	CredentialLifetime string        `json:"credential_lifetime,omitempty"` // Go duration of the minted token
	Input              DecisionInput `json:"input"`
	// Approvals lists, for a request that waited for approvers, who
	// counted for each rule when it was approved (or rejected, or expired).
	Approvals []ApprovalCount `json:"approvals,omitempty"`
}

// Reason is a machine-readable code (snake_case) with a human message.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// DecisionInput is the snapshot a decision was made from: the verified claims
// the policy read, the request without its token, and the evaluation time.
// It never holds a token; the schema refuses token-like claim names.
type DecisionInput struct {
	Claims  map[string]any `json:"claims,omitempty"`
	Request RequestFacts   `json:"request"`
	Time    time.Time      `json:"time"`
	// Stage is where the decision was reached: "token", "directory",
	// "policy" or, for a request that waited for approvers, "approval".
	Stage string `json:"stage,omitempty"`
	// Identity holds the other identity facts used: the token fingerprint,
	// the directory entry and the token groups counted or dropped.
	Identity map[string]any `json:"identity,omitempty"`
}
