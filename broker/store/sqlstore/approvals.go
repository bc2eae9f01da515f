package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

const approvalRequestCols = `request_key, request_id, source, traceparent, principal, user_id, role, binding, status,
	request_digest, policy_version, requester, facts, requirements, chain, window_ms, window_until,
	event_id, closed_by, created_at, expires_at, closed_at`

var approvalStatuses = []string{store.ApprovalPending, store.ApprovalApproved, store.ApprovalRejected,
	store.ApprovalExpired, store.ApprovalCancelled}

func scanApprovalRequest(r rowScanner) (store.ApprovalRequest, error) {
	var (
		a                         store.ApprovalRequest
		requester, facts          string
		requirements, chain       string
		windowMS                  int64
		windowUntil               *time.Time
		requestKey, closedByEvent string
	)
	err := r.Scan(&requestKey, &a.RequestID, &a.Source, &a.Traceparent, &a.Principal, &a.UserID, &a.Role, &a.Binding, &a.Status,
		&a.RequestDigest, &a.PolicyVersion, &requester, &facts, &requirements, &chain, &windowMS, nullTimeCol{&windowUntil},
		&a.EventID, &closedByEvent, timeCol{&a.CreatedAt}, timeCol{&a.ExpiresAt}, nullTimeCol{&a.ClosedAt})
	if err != nil {
		return a, err
	}
	a.RequestKey, a.ClosedBy = decodeKey(requestKey), closedByEvent
	a.Requester, a.Facts = json.RawMessage(requester), json.RawMessage(facts)
	a.Window = time.Duration(windowMS) * time.Millisecond
	if windowUntil != nil {
		a.WindowUntil = *windowUntil
	}
	if err := json.Unmarshal([]byte(requirements), &a.Requirements); err != nil {
		return a, fmt.Errorf("requirements: %w", err)
	}
	if err := json.Unmarshal([]byte(chain), &a.Chain); err != nil {
		return a, fmt.Errorf("chain: %w", err)
	}
	return a, nil
}

// PutApprovalRequest implements store.Approvals.
func (t *tx) PutApprovalRequest(ctx context.Context, a store.ApprovalRequest) error {
	switch {
	case a.RequestKey == "" || a.RequestID == "" || a.Principal == "" || a.Role == "" || a.RequestDigest == "" || a.EventID == "":
		return invalid("PutApprovalRequest: empty request key, id, principal, role, digest or event id")
	case a.Status != store.ApprovalPending:
		return invalid("PutApprovalRequest: a request starts pending, not %q", a.Status)
	case len(a.Requirements) == 0 || a.ExpiresAt.IsZero():
		return invalid("PutApprovalRequest: no requirements or no expiry")
	case !json.Valid(a.Requester) || !json.Valid(a.Facts):
		return invalid("PutApprovalRequest: requester and facts must be JSON")
	}
	reqs, err := json.Marshal(a.Requirements)
	if err != nil {
		return invalid("PutApprovalRequest: requirements: %v", err)
	}
	chain, err := json.Marshal(nonNil(a.Chain))
	if err != nil {
		return invalid("PutApprovalRequest: chain: %v", err)
	}
	n, err := t.execCount(ctx, "sqlstore: PutApprovalRequest",
		`INSERT INTO approval_requests (`+approvalRequestCols+`)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, '', ?, ?, NULL) ON CONFLICT DO NOTHING`,
		encodeKey(a.RequestKey), a.RequestID, a.Source, a.Traceparent, a.Principal, a.UserID, a.Role, a.Binding, a.Status,
		a.RequestDigest, a.PolicyVersion, string(a.Requester), string(a.Facts), string(reqs), string(chain),
		a.Window.Milliseconds(), a.EventID, t.d().timeArg(t.s.now()), t.d().timeArg(a.ExpiresAt))
	if err == nil && n == 0 {
		err = conflict("PutApprovalRequest: request %q waits already", a.RequestID)
	}
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GetApprovalRequest implements store.Approvals.
func (t *tx) GetApprovalRequest(ctx context.Context, requestKey string) (store.ApprovalRequest, error) {
	rs, err := t.listApprovalRequests(ctx, "request_key = ?"+t.forUpdate(), encodeKey(requestKey))
	if err != nil {
		return store.ApprovalRequest{}, err
	}
	if len(rs) == 0 {
		return store.ApprovalRequest{}, notFound("approval request %q", requestKey)
	}
	return rs[0], nil
}

// ListApprovalRequests implements store.Approvals.
func (t *tx) ListApprovalRequests(ctx context.Context, q store.ApprovalQuery) ([]store.ApprovalRequest, error) {
	var where []string
	var args []any
	for _, f := range []struct{ col, v string }{{"status", q.Status}, {"user_id", q.UserID}, {"principal", q.Principal},
		{"role", q.Role}, {"request_id", q.RequestID}} {
		if f.v != "" {
			where, args = append(where, f.col+" = ?"), append(args, f.v)
		}
	}
	if !q.ExpiresBefore.IsZero() {
		where, args = append(where, "expires_at <= ?"), append(args, t.d().timeArg(q.ExpiresBefore))
	}
	if !q.WindowAfter.IsZero() {
		where, args = append(where, "window_until > ?"), append(args, t.d().timeArg(q.WindowAfter))
	}
	if len(where) == 0 {
		where = []string{"1 = 1"}
	}
	order := " ORDER BY created_at, request_key"
	if q.Limit > 0 {
		order += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	return t.listApprovalRequests(ctx, strings.Join(where, " AND ")+order, args...)
}

func (t *tx) listApprovalRequests(ctx context.Context, where string, args ...any) ([]store.ApprovalRequest, error) {
	const op = "sqlstore: list approval requests"
	rows, err := t.query(ctx, op, "SELECT "+approvalRequestCols+" FROM approval_requests WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	rs, err := collect(rows, scanApprovalRequest)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return rs, nil
}

// CloseApprovalRequest implements store.Approvals.
func (t *tx) CloseApprovalRequest(ctx context.Context, requestKey, status, eventID string, at, windowUntil time.Time) (bool, error) {
	if status == store.ApprovalPending || !contains(approvalStatuses, status) || eventID == "" {
		return false, invalid("CloseApprovalRequest: status %q, event %q", status, eventID)
	}
	var until any
	if !windowUntil.IsZero() {
		until = t.d().timeArg(windowUntil)
	}
	n, err := t.execCount(ctx, "sqlstore: CloseApprovalRequest",
		`UPDATE approval_requests SET status = ?, closed_by = ?, closed_at = ?, window_until = ?
		 WHERE request_key = ? AND status = 'pending'`,
		status, eventID, t.d().timeArg(at), until, encodeKey(requestKey))
	if err != nil || n > 0 {
		return n > 0, err
	}
	if _, err := t.GetApprovalRequest(ctx, requestKey); err != nil {
		return false, err
	}
	return false, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

const approvalCols = `request_key, approver_id, approver, verdict, event_key, event_id, token_fingerprint, token_groups,
	comment, given_at, withdrawn_at, withdraw_reason`

func scanApproval(r rowScanner) (store.Approval, error) {
	var a store.Approval
	var key, eventKey, groups string
	err := r.Scan(&key, &a.ApproverID, &a.Approver, &a.Verdict, &eventKey, &a.EventID, &a.TokenFingerprint, &groups, &a.Comment,
		timeCol{&a.At}, nullTimeCol{&a.WithdrawnAt}, &a.WithdrawReason)
	if err != nil {
		return a, err
	}
	a.RequestKey, a.EventKey = decodeKey(key), decodeKey(eventKey)
	if err := json.Unmarshal([]byte(groups), &a.TokenGroups); err != nil {
		return a, fmt.Errorf("token_groups: %w", err)
	}
	if len(a.TokenGroups) == 0 {
		a.TokenGroups = nil
	}
	return a, nil
}

// PutApproval implements store.Approvals.
func (t *tx) PutApproval(ctx context.Context, a store.Approval) error {
	switch {
	case a.RequestKey == "" || a.ApproverID == "" || a.Approver == "" || a.EventKey == "" || a.EventID == "":
		return invalid("PutApproval: empty request key, approver, event key or event id")
	case a.Verdict != store.VerdictGranted && a.Verdict != store.VerdictRejected:
		return invalid("PutApproval: verdict %q", a.Verdict)
	case a.At.IsZero():
		return invalid("PutApproval: no time")
	}
	if _, err := t.GetApprovalRequest(ctx, a.RequestKey); err != nil {
		return err
	}
	groups, err := json.Marshal(nonNil(a.TokenGroups))
	if err != nil {
		return invalid("PutApproval: token groups: %v", err)
	}
	n, err := t.execCount(ctx, "sqlstore: PutApproval",
		`INSERT INTO approvals (`+approvalCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '') ON CONFLICT DO NOTHING`,
		encodeKey(a.RequestKey), a.ApproverID, a.Approver, a.Verdict, encodeKey(a.EventKey), a.EventID,
		a.TokenFingerprint, string(groups), a.Comment, t.d().timeArg(a.At))
	if err == nil && n == 0 {
		err = conflict("PutApproval: %s answered request %q already", a.Approver, a.RequestKey)
	}
	return err
}

// ListApprovals implements store.Approvals.
func (t *tx) ListApprovals(ctx context.Context, requestKey string) ([]store.Approval, error) {
	return t.listApprovals(ctx, "request_key = ? ORDER BY given_at, approver_id", encodeKey(requestKey))
}

// ApprovalsByApprover implements store.Approvals.
func (t *tx) ApprovalsByApprover(ctx context.Context, approverID string) ([]store.Approval, error) {
	return t.listApprovals(ctx, `approver_id = ? AND withdrawn_at IS NULL AND request_key IN
		(SELECT request_key FROM approval_requests WHERE status = 'pending') ORDER BY given_at, request_key`, approverID)
}

func (t *tx) listApprovals(ctx context.Context, where string, args ...any) ([]store.Approval, error) {
	const op = "sqlstore: list approvals"
	rows, err := t.query(ctx, op, "SELECT "+approvalCols+" FROM approvals WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	as, err := collect(rows, scanApproval)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return as, nil
}

// WithdrawApproval implements store.Approvals.
func (t *tx) WithdrawApproval(ctx context.Context, requestKey, approverID, reason string, at time.Time) (bool, error) {
	n, err := t.execCount(ctx, "sqlstore: WithdrawApproval",
		"UPDATE approvals SET withdrawn_at = ?, withdraw_reason = ? WHERE request_key = ? AND approver_id = ? AND withdrawn_at IS NULL",
		t.d().timeArg(at), reason, encodeKey(requestKey), approverID)
	if err != nil || n > 0 {
		return n > 0, err
	}
	as, err := t.listApprovals(ctx, "request_key = ? AND approver_id = ?", encodeKey(requestKey), approverID)
	if err == nil && len(as) == 0 {
		err = notFound("approval of %s to %q", approverID, requestKey)
	}
	return false, err
}
