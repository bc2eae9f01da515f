package approval

// Reasons an approval is refused (permanent faults: the worker audits the
// approval event as event.rejected with the reason) and reasons of the
// decisions approvals settle.
const (
	// ReasonUnknownRequest: no request that waits, or waited, for
	// approvers has the id the approval names.
	ReasonUnknownRequest = "approval_request_unknown"
	// ReasonDigestMismatch: the approval names the request's id but not
	// its digest: it was given for another request body.
	ReasonDigestMismatch = "approval_digest_mismatch"
	// ReasonNotPending: the request no longer waits (approved, rejected,
	// cancelled).
	ReasonNotPending = "approval_not_pending"
	// ReasonExpired: the request waited longer than its rules allow; also
	// the reason of its denial.
	ReasonExpired = "approval_expired"
	// ReasonSelf: the approver is the requester.
	ReasonSelf = "self_approval"
	// ReasonChain: the approver is of the requester's chain (a workload
	// and its owners), or the requester of the approver's.
	ReasonChain = "approver_in_request_chain"
	// ReasonNotEligible: the approver is in none of the approving groups.
	ReasonNotEligible = "approver_not_eligible"
	// ReasonDuplicate: the approver answered the request already (an
	// approver counts once).
	ReasonDuplicate = "approval_duplicate"
	// ReasonRejected: an approver rejected the request (its denial).
	ReasonRejected = "approval_rejected"
	// ReasonWithdrawnInFlight: the request was approved, but when the
	// broker was about to act on it its approvals no longer met its rules
	// (an approver left or lost the approving group): nothing was run.
	ReasonWithdrawnInFlight = "approval_withdrawn_in_flight"
	// ReasonGranted and ReasonWindow are added to a decision approved by
	// its approvers, or by an open approval window.
	ReasonGranted = "approval_granted"
	ReasonWindow  = "approval_window"
)

// Stage is the decision stage of a decision settled by approvers.
const Stage = "approval"
