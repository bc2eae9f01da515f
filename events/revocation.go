package events

import "time"

// Revocation action kinds (RevokeAction.Kind).
const (
	ActionDenyRequest  = "deny_request"  // a request in flight was denied
	ActionCancelJob    = "cancel_job"    // a running job or batch was cancelled
	ActionRevokeGrant  = "revoke_grant"  // an active grant was closed
	ActionRecheckGrant = "recheck_grant" // a mover's grant was re-checked against the new groups
	// ActionWithdrawApproval: an approval the principal gave to a request
	// still waiting for approvers stops counting (a leaver, or a mover no
	// longer in an approving group).
	ActionWithdrawApproval = "withdraw_approval"
	ActionDeleteCluster    = "delete_cluster" // a cluster the principal owns was deleted
	ActionRemoveBinding    = "remove_binding" // a conditional IAM binding of the principal's was removed
)

// Revocation action outcomes (RevokeAction.Outcome).
const (
	ActionSucceeded = "succeeded"
	ActionFailed    = "failed" // Error says why
	ActionSkipped   = "skipped"
	// ActionDeferred: Dataproc cannot do it yet (a cluster still being
	// created cannot be deleted); the broker does it as soon as it can,
	// and the cluster's trail reports it.
	ActionDeferred = "deferred"
)

// Revocation is the data of access.revoked.v1: what the cascade did for a
// principal after an identity change, and how long it took.
type Revocation struct {
	Principal  Principal      `json:"principal"`
	Trigger    Trigger        `json:"trigger"`
	Actions    []RevokeAction `json:"actions"` // may be empty: nothing to revoke
	LatencyMS  int64          `json:"latency_ms"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at"`
}

// Trigger is what started a revocation cascade.
type Trigger struct {
	EventID   string `json:"event_id,omitempty"`   // id of the identity event
	EventType string `json:"event_type,omitempty"` // type of the identity event
	Action    string `json:"action"`               // snake_case SCIM action, e.g. "user_deactivated", "membership_removed"
}

// RevokeAction is one step of a revocation cascade. For cancel_job,
// succeeded means Dataproc accepted the cancel (State CANCELLING: the job's
// end follows as job.state_changed, which says if it ended before the
// cancel took effect), and skipped with a terminal State means the job had
// already ended and nothing was cancelled.
type RevokeAction struct {
	Kind     string `json:"kind"`             // deny_request | cancel_job | revoke_grant | recheck_grant | withdraw_approval | delete_cluster | remove_binding
	Resource string `json:"resource"`         // what it acted on (Dataproc resource, grant or request id)
	Outcome  string `json:"outcome"`          // succeeded | failed | skipped | deferred
	State    string `json:"state,omitempty"`  // cancel_job, delete_cluster: the workload's or cluster's state when the call was made
	Detail   string `json:"detail,omitempty"` // what happened, in words
	Error    string `json:"error,omitempty"`  // required when Outcome is failed; no secrets
}
