package events

import (
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Approval event types: a request that a policy rule holds for approvers
// pauses (job.approval_requested), approvers answer with their own token
// (approval.granted, approval.rejected), the broker reports each answer it
// counted (approval.recorded) and a request nobody answered in time
// (approval.expired).
const (
	// ApprovalRequested: a request waits for approvers (data: ApprovalRequest).
	ApprovalRequested = Prefix + ".job.approval_requested.v1"
	// ApprovalGranted: an approver approves a waiting request (data: ApprovalVerdict).
	ApprovalGranted = Prefix + ".approval.granted.v1"
	// ApprovalRejected: an approver rejects a waiting request (data: ApprovalVerdict).
	ApprovalRejected = Prefix + ".approval.rejected.v1"
	// ApprovalRecorded: the broker verified and counted an approver's answer (data: RecordedApproval).
	ApprovalRecorded = Prefix + ".approval.recorded.v1"
	// ApprovalExpired: a waiting request was not approved in time (data: ApprovalExpiry).
	ApprovalExpired = Prefix + ".approval.expired.v1"
)

// Verdicts of an approver (RecordedApproval.Verdict).
const (
	VerdictGranted  = "granted"
	VerdictRejected = "rejected"
)

// ApprovalRequirement is one rule a waiting request must satisfy: Count
// distinct approvers, each a member of one of the Approvers groups, none of
// them the requester or of the requester's chain.
type ApprovalRequirement struct {
	Rule      string   `json:"rule"`             // "role:<name>" for a role's own rule, else the rule's name
	Approvers []string `json:"approvers"`        // groups whose members may approve
	Count     int      `json:"count"`            // distinct approvers needed
	Reason    string   `json:"reason,omitempty"` // why the rule asks, for the approvers
}

// ApprovalRequest is the data of job.approval_requested.v1: who asks for
// what, who may approve it, why, and until when. It is also published to
// the approvals topic, for chat and e-mail bridges.
type ApprovalRequest struct {
	RequestID string `json:"request_id"`
	// RequestDigest binds answers to this exact request: an approval must
	// name it.
	RequestDigest  string                `json:"request_digest"`
	Principal      Principal             `json:"principal"` // the requester
	Role           string                `json:"role"`
	Binding        string                `json:"binding"`
	ServiceAccount string                `json:"service_account"`
	PolicyVersion  string                `json:"policy_version"`
	Requirements   []ApprovalRequirement `json:"requirements"`
	ExpiresAt      time.Time             `json:"expires_at"`
	// Window, when set (a Go duration), says that once approved the
	// approval also covers the requester's later requests under the role
	// for that long.
	Window      string       `json:"window,omitempty"`
	ApprovalURL string       `json:"approval_url,omitempty"` // a page to approve on, if one is configured
	Request     RequestFacts `json:"request"`                // what is asked, without the token
}

// ApprovalVerdict is the data of approval.granted.v1 and
// approval.rejected.v1 (published by approvers: iis approve, a bridge).
type ApprovalVerdict struct {
	IDToken       string `json:"id_token"`          // the approver's ID token or broker session token: a secret
	RequestID     string `json:"request_id"`        // the waiting request
	RequestDigest string `json:"request_digest"`    // its digest, from job.approval_requested
	Comment       string `json:"comment,omitempty"` // free text for the audit trail
}

// ApprovalCount is how far one requirement is: the approvers who count
// for it now (re-checked against the directory) and how many it needs.
type ApprovalCount struct {
	Rule      string   `json:"rule"`
	Count     int      `json:"count"`
	Approvers []string `json:"approvers"`
}

// RecordedApproval is the data of approval.recorded.v1: an approver's
// answer, verified like a requester's token and counted.
type RecordedApproval struct {
	RequestID string    `json:"request_id"`
	Verdict   string    `json:"verdict"` // granted | rejected
	Approver  Principal `json:"approver"`
	// ApprovalEventID is the id of the approval.granted or
	// approval.rejected event: this record's cause.
	ApprovalEventID  string          `json:"approval_event_id"`
	TokenFingerprint string          `json:"token_fingerprint"`
	Comment          string          `json:"comment,omitempty"`
	Counts           []ApprovalCount `json:"counts"`
	// Complete says the request has every approval it needs (and goes on)
	// or, for a rejection, that it is denied.
	Complete bool `json:"complete"`
}

// ApprovalExpiry is the data of approval.expired.v1.
type ApprovalExpiry struct {
	RequestID string          `json:"request_id"`
	Principal Principal       `json:"principal"`
	ExpiresAt time.Time       `json:"expires_at"`
	Counts    []ApprovalCount `json:"counts"` // how far the approvals got
}

// NewApprovalRequested builds a job.approval_requested.v1 event (see New).
func NewApprovalRequested(source string, d ApprovalRequest, opts ...Option) (event.Event, error) {
	return New(ApprovalRequested, source, d, opts...)
}

// NewApprovalGranted builds an approval.granted.v1 event (see New).
func NewApprovalGranted(source string, d ApprovalVerdict, opts ...Option) (event.Event, error) {
	return New(ApprovalGranted, source, d, opts...)
}

// NewApprovalRejected builds an approval.rejected.v1 event (see New).
func NewApprovalRejected(source string, d ApprovalVerdict, opts ...Option) (event.Event, error) {
	return New(ApprovalRejected, source, d, opts...)
}

// NewApprovalRecorded builds an approval.recorded.v1 event (see New).
func NewApprovalRecorded(source string, d RecordedApproval, opts ...Option) (event.Event, error) {
	return New(ApprovalRecorded, source, d, opts...)
}

// NewApprovalExpired builds an approval.expired.v1 event (see New).
func NewApprovalExpired(source string, d ApprovalExpiry, opts ...Option) (event.Event, error) {
	return New(ApprovalExpired, source, d, opts...)
}

// DecodeApprovalRequest returns the data of a job.approval_requested event.
func DecodeApprovalRequest(e event.Event) (ApprovalRequest, error) {
	return decodeData[ApprovalRequest](e)
}

// DecodeApprovalVerdict returns the data of an approval.granted or
// approval.rejected event.
func DecodeApprovalVerdict(e event.Event) (ApprovalVerdict, error) {
	return decodeData[ApprovalVerdict](e)
}

// DecodeRecordedApproval returns the data of an approval.recorded event.
func DecodeRecordedApproval(e event.Event) (RecordedApproval, error) {
	return decodeData[RecordedApproval](e)
}

// DecodeApprovalExpiry returns the data of an approval.expired event.
func DecodeApprovalExpiry(e event.Event) (ApprovalExpiry, error) {
	return decodeData[ApprovalExpiry](e)
}
