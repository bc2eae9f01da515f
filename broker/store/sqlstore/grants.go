package sqlstore

import (
	"context"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

const grantCols = "id, request_id, principal, role, service_account, request_key, project, region, cluster, " +
	"expires_at, revoked_at, revoke_reason, created_at, user_id, event_id"

func scanGrant(r rowScanner) (store.Grant, error) {
	var g store.Grant
	err := r.Scan(&g.ID, &g.RequestID, &g.Principal, &g.Role, &g.ServiceAccount,
		&g.RequestKey, &g.Project, &g.Region, &g.Cluster, timeCol{&g.ExpiresAt},
		nullTimeCol{&g.RevokedAt}, &g.RevokeReason, timeCol{&g.CreatedAt}, &g.UserID, &g.EventID)
	g.RequestKey = decodeKey(g.RequestKey)
	return g, err
}

// PutGrant implements store.Grants.
func (t *tx) PutGrant(ctx context.Context, g store.Grant) error {
	if g.ID == "" || g.Principal == "" || g.ExpiresAt.IsZero() {
		return invalid("PutGrant: empty id, principal or expiry")
	}
	n, err := t.execCount(ctx, "sqlstore: PutGrant",
		`INSERT INTO grants (`+grantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		g.ID, g.RequestID, g.Principal, g.Role, g.ServiceAccount,
		encodeKey(g.RequestKey), g.Project, g.Region, g.Cluster, t.d().timeArg(g.ExpiresAt),
		t.d().nullTimeArg(g.RevokedAt), g.RevokeReason, t.d().timeArg(t.s.now()), g.UserID, g.EventID)
	if err == nil && n == 0 {
		err = conflict("PutGrant: grant %q exists", g.ID)
	}
	return err
}

// GetGrant implements store.Grants.
func (t *tx) GetGrant(ctx context.Context, id string) (store.Grant, error) {
	gs, err := t.listGrants(ctx, "id = ?", id)
	if err != nil {
		return store.Grant{}, err
	}
	if len(gs) == 0 {
		return store.Grant{}, notFound("grant %q", id)
	}
	return gs[0], nil
}

// ListActiveGrants implements store.Grants.
func (t *tx) ListActiveGrants(ctx context.Context, principal string, now time.Time) ([]store.Grant, error) {
	where := "revoked_at IS NULL AND expires_at > ?"
	args := []any{t.d().timeArg(now)}
	if principal != "" {
		where += " AND principal = ?"
		args = append(args, principal)
	}
	return t.listGrants(ctx, where+" ORDER BY created_at, id", args...)
}

// ListActiveGrantsByUser implements store.Grants.
func (t *tx) ListActiveGrantsByUser(ctx context.Context, userID string, now time.Time) ([]store.Grant, error) {
	if userID == "" {
		return nil, nil
	}
	return t.listGrants(ctx, "revoked_at IS NULL AND expires_at > ? AND user_id = ? ORDER BY created_at, id",
		t.d().timeArg(now), userID)
}

// GrantsByRequest implements store.Grants.
func (t *tx) GrantsByRequest(ctx context.Context, requestID string) ([]store.Grant, error) {
	return t.listGrants(ctx, "request_id = ? ORDER BY created_at, id", requestID)
}

func (t *tx) listGrants(ctx context.Context, where string, args ...any) ([]store.Grant, error) {
	const op = "sqlstore: list grants"
	rows, err := t.query(ctx, op, "SELECT "+grantCols+" FROM grants WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	gs, err := collect(rows, scanGrant)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return gs, nil
}

// RevokeGrant implements store.Grants.
func (t *tx) RevokeGrant(ctx context.Context, id, reason string, at time.Time) (bool, error) {
	n, err := t.execCount(ctx, "sqlstore: RevokeGrant",
		"UPDATE grants SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL",
		t.d().timeArg(at), reason, id)
	if err != nil || n > 0 {
		return n > 0, err
	}
	if _, err := t.GetGrant(ctx, id); err != nil {
		return false, err
	}
	return false, nil
}
