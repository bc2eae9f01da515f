// Package approval owns the approvals of privileged duties: the answers
// approvers send (approval.granted and approval.rejected, carrying their
// own ID token or session token), verified like a requester's token and
// checked against the request they name (id and digest), the approving
// groups, self-approval and the requester's chain; the count of distinct
// approvers per rule, re-checked against the directory at the moment of
// use; the expiry of requests nobody answered; and the authenticated HTTP
// view of what waits for an approver (iis pending).
//
// A request pauses in package request (its decision is recorded as
// pending with the job.approval_requested event); when its last approval
// is counted this package settles the decision as approved and hands the
// request back to request.Handler.Resume, which mints, submits and records
// it exactly as a request approved at once, with the same idempotency
// keys.
package approval
