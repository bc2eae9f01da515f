package store

import (
	"context"
	"encoding/json"
	"time"
)

// Statuses of a request that waits for approvers (ApprovalRequest.Status).
const (
	ApprovalPending   = "pending"   // waits for approvers
	ApprovalApproved  = "approved"  // every rule met; the request went on
	ApprovalRejected  = "rejected"  // an approver rejected it
	ApprovalExpired   = "expired"   // not approved in time
	ApprovalCancelled = "cancelled" // the requester left or lost the role
)

// Verdicts of an approver (Approval.Verdict).
const (
	VerdictGranted  = "granted"
	VerdictRejected = "rejected"
)

// Approvals keeps the requests that wait for approvers and the answers
// they got.
type Approvals interface {
	// PutApprovalRequest records a request that starts waiting (Status
	// ApprovalPending). A second one for the same RequestKey is
	// ErrConflict.
	PutApprovalRequest(ctx context.Context, r ApprovalRequest) error
	GetApprovalRequest(ctx context.Context, requestKey string) (ApprovalRequest, error)
	// ListApprovalRequests returns the requests matching every non-empty
	// field of q, oldest first.
	ListApprovalRequests(ctx context.Context, q ApprovalQuery) ([]ApprovalRequest, error)
	// CloseApprovalRequest moves a pending request to status (approved,
	// rejected, expired or cancelled), naming the audit event that closed
	// it and, for an approval that covers a window, when the window ends.
	// It reports whether the request was pending: a request is closed once.
	CloseApprovalRequest(ctx context.Context, requestKey, status, eventID string, at, windowUntil time.Time) (bool, error)

	// PutApproval records an approver's answer. A second answer of the
	// same approver to the same request is ErrConflict: an approver counts
	// once.
	PutApproval(ctx context.Context, a Approval) error
	// ListApprovals returns the answers a request got, in the order given.
	ListApprovals(ctx context.Context, requestKey string) ([]Approval, error)
	// ApprovalsByApprover returns the approver's answers not withdrawn to
	// requests that are still pending, oldest first.
	ApprovalsByApprover(ctx context.Context, approverID string) ([]Approval, error)
	// WithdrawApproval makes an answer stop counting and reports whether it
	// counted before; the first withdrawal's time and reason are kept.
	WithdrawApproval(ctx context.Context, requestKey, approverID, reason string, at time.Time) (bool, error)
}

// ApprovalRequirement is one rule a waiting request must satisfy (as
// policy.ApprovalRequirement).
type ApprovalRequirement struct {
	Rule      string   `json:"rule"`
	Approvers []string `json:"approvers"`
	Count     int      `json:"count"`
	Reason    string   `json:"reason,omitempty"`
}

// ApprovalRequest is a job request that waits, or waited, for approvers.
// It holds what the request needs to go on where it paused, never its
// token.
type ApprovalRequest struct {
	RequestKey  string // EventKey of the job request
	RequestID   string // its CloudEvent id
	Source      string // its CloudEvent source
	Traceparent string // its traceparent, passed on to what it leads to
	Principal   string // the requester, as the decision is recorded
	UserID      string // the requester's directory user id ("" when none)
	Role        string
	Binding     string // the policy binding that grants the role
	Status      string
	// RequestDigest is the decision's digest of the request: an approval
	// must name it.
	RequestDigest string
	PolicyVersion string
	// Requester is the requester as audit events show it (an
	// events.Principal in JSON); Facts is the request without its token
	// (events.RequestFacts in JSON).
	Requester    json.RawMessage
	Facts        json.RawMessage
	Requirements []ApprovalRequirement
	// Chain is the requester and the principals it acts for (directory
	// user ids, or principal ids without a directory): none may approve.
	Chain []string
	// Window is how long an approval covers the requester's later
	// requests under the role (0: this request only); WindowUntil is set
	// when the request is approved.
	Window      time.Duration
	WindowUntil time.Time
	// EventID is the job.approval_requested audit event; ClosedBy the
	// audit event that closed the request.
	EventID   string
	ClosedBy  string
	CreatedAt time.Time
	ExpiresAt time.Time
	ClosedAt  *time.Time
}

// ApprovalQuery selects waiting requests. Empty fields match everything.
type ApprovalQuery struct {
	Status    string
	UserID    string
	Principal string
	Role      string
	RequestID string
	// ExpiresBefore selects requests whose ExpiresAt is at or before it;
	// WindowAfter those whose WindowUntil is after it.
	ExpiresBefore time.Time
	WindowAfter   time.Time
	Limit         int // <= 0: no limit
}

// Approval is one approver's answer to a waiting request. It identifies
// the approver's token by fingerprint only.
type Approval struct {
	RequestKey string
	// ApproverID is the approver's directory user id (the verified
	// principal id when the directory is off): approvals are re-checked
	// by it at the moment of use.
	ApproverID string
	Approver   string // the approver's name, for people
	Verdict    string // VerdictGranted or VerdictRejected
	// EventKey is the EventKey of the approval event; EventID the id of
	// the approval.recorded audit event.
	EventKey         string
	EventID          string
	TokenFingerprint string
	// TokenGroups are the groups the approver's token vouched for (an
	// issuer trusted for groups): they count with the directory's groups
	// when the approval is re-checked.
	TokenGroups    []string
	Comment        string
	At             time.Time
	WithdrawnAt    *time.Time
	WithdrawReason string
}
