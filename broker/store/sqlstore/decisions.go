package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

// RecordDecision implements store.Decisions.
func (t *tx) RecordDecision(ctx context.Context, d store.Decision) (bool, error) {
	switch {
	case d.RequestKey == "" || d.RequestID == "" || d.Principal == "":
		return false, invalid("RecordDecision: empty request key, request id or principal")
	case d.Outcome != store.OutcomeApproved && d.Outcome != store.OutcomeDenied && d.Outcome != store.OutcomePending:
		return false, invalid("RecordDecision: outcome %q", d.Outcome)
	}
	reasons, err := json.Marshal(d.Reasons)
	if err != nil {
		return false, invalid("RecordDecision: reasons: %v", err)
	}
	n, err := t.execCount(ctx, "sqlstore: RecordDecision",
		`INSERT INTO decisions (request_key, request_id, principal, outcome, role, service_account,
		 policy_version, reasons, decided_at, max_duration_ms, credential_lifetime_ms, request_digest, user_id, event_id)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		encodeKey(d.RequestKey), d.RequestID, d.Principal, d.Outcome, d.Role, d.ServiceAccount, d.PolicyVersion,
		string(reasons), t.d().timeArg(d.DecidedAt), d.MaxDuration.Milliseconds(), d.CredentialLifetime.Milliseconds(), d.RequestDigest,
		d.UserID, d.EventID)
	return n == 1, err
}

// GetDecision implements store.Decisions.
func (t *tx) GetDecision(ctx context.Context, requestKey string) (store.Decision, error) {
	var (
		d                store.Decision
		reasons          string
		maxDur, credLife int64
	)
	found, err := t.queryRow(ctx, "sqlstore: GetDecision",
		`SELECT request_key, request_id, principal, outcome, role, service_account, policy_version, reasons, decided_at,
		 max_duration_ms, credential_lifetime_ms, request_digest, user_id, event_id FROM decisions WHERE request_key = ?`, []any{encodeKey(requestKey)},
		&d.RequestKey, &d.RequestID, &d.Principal, &d.Outcome, &d.Role, &d.ServiceAccount, &d.PolicyVersion,
		&reasons, timeCol{&d.DecidedAt}, &maxDur, &credLife, &d.RequestDigest, &d.UserID, &d.EventID)
	switch {
	case err != nil:
		return d, err
	case !found:
		return d, notFound("decision %q", requestKey)
	}
	d.RequestKey = decodeKey(d.RequestKey)
	d.MaxDuration = time.Duration(maxDur) * time.Millisecond
	d.CredentialLifetime = time.Duration(credLife) * time.Millisecond
	if err := json.Unmarshal([]byte(reasons), &d.Reasons); err != nil {
		return d, fmt.Errorf("sqlstore: GetDecision: reasons: %w", err)
	}
	if len(d.Reasons) == 0 {
		d.Reasons = nil
	}
	return d, nil
}

// ResolveDecision implements store.Decisions.
func (t *tx) ResolveDecision(ctx context.Context, requestKey, outcome, eventID string, reasons []string) (bool, error) {
	if outcome != store.OutcomeApproved && outcome != store.OutcomeDenied {
		return false, invalid("ResolveDecision: outcome %q", outcome)
	}
	d, err := t.GetDecision(ctx, requestKey)
	if err != nil || d.Outcome != store.OutcomePending {
		return false, err
	}
	all, err := json.Marshal(append(d.Reasons, reasons...))
	if err != nil {
		return false, invalid("ResolveDecision: reasons: %v", err)
	}
	n, err := t.execCount(ctx, "sqlstore: ResolveDecision",
		"UPDATE decisions SET outcome = ?, event_id = ?, reasons = ? WHERE request_key = ? AND outcome = 'pending'",
		outcome, eventID, string(all), encodeKey(requestKey))
	return n == 1, err
}
