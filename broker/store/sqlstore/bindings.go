package sqlstore

import (
	"context"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

const bindingCols = `id, request_id, request_key, cluster_request_id, resource, principal, user_id, member, iam_role,
	expires_at, state, removed_at, remove_reason, event_id, created_at`

func scanBinding(r rowScanner) (store.Binding, error) {
	var b store.Binding
	err := r.Scan(&b.ID, &b.RequestID, &b.RequestKey, &b.ClusterRequestID, &b.Resource, &b.Principal, &b.UserID,
		&b.Member, &b.IAMRole, timeCol{&b.ExpiresAt}, &b.State, nullTimeCol{&b.RemovedAt}, &b.RemoveReason,
		&b.EventID, timeCol{&b.CreatedAt})
	b.RequestKey = decodeKey(b.RequestKey)
	return b, err
}

// PutBinding implements store.Bindings. A removed binding stays removed.
func (t *tx) PutBinding(ctx context.Context, b store.Binding) error {
	switch {
	case b.ID == "" || b.RequestID == "" || b.Principal == "" || b.Member == "" || b.IAMRole == "" || b.ExpiresAt.IsZero():
		return invalid("PutBinding: empty id, request, principal, member, role or expiry")
	case b.State != store.BindingPending && b.State != store.BindingActive && b.State != store.BindingRemoved:
		return invalid("PutBinding: state %q", b.State)
	}
	_, err := t.exec(ctx, "sqlstore: PutBinding",
		`INSERT INTO bindings (`+bindingCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET
		   state = CASE WHEN bindings.state = 'REMOVED' THEN bindings.state ELSE excluded.state END,
		   removed_at = CASE WHEN bindings.state = 'REMOVED' THEN bindings.removed_at ELSE excluded.removed_at END,
		   remove_reason = CASE WHEN bindings.state = 'REMOVED' THEN bindings.remove_reason ELSE excluded.remove_reason END,
		   expires_at = excluded.expires_at,
		   event_id = CASE WHEN excluded.event_id = '' THEN bindings.event_id ELSE excluded.event_id END`,
		b.ID, b.RequestID, encodeKey(b.RequestKey), b.ClusterRequestID, b.Resource, b.Principal, b.UserID,
		b.Member, b.IAMRole, t.d().timeArg(b.ExpiresAt), b.State, t.d().nullTimeArg(b.RemovedAt), b.RemoveReason,
		b.EventID, t.d().timeArg(t.s.now()))
	return err
}

// GetBinding implements store.Bindings.
func (t *tx) GetBinding(ctx context.Context, id string) (store.Binding, error) {
	bs, err := t.listBindings(ctx, "id = ?", id)
	if err != nil {
		return store.Binding{}, err
	}
	if len(bs) == 0 {
		return store.Binding{}, notFound("binding %q", id)
	}
	return bs[0], nil
}

// ListActiveBindingsByUser implements store.Bindings.
func (t *tx) ListActiveBindingsByUser(ctx context.Context, userID string) ([]store.Binding, error) {
	if userID == "" {
		return nil, nil
	}
	return t.listBindings(ctx, "state <> 'REMOVED' AND user_id = ? ORDER BY created_at, id", userID)
}

// ListActiveBindingsByPrincipal implements store.Bindings.
func (t *tx) ListActiveBindingsByPrincipal(ctx context.Context, principal string) ([]store.Binding, error) {
	return t.listBindings(ctx, "state <> 'REMOVED' AND principal = ? ORDER BY created_at, id", principal)
}

// ListBindingsByCluster implements store.Bindings.
func (t *tx) ListBindingsByCluster(ctx context.Context, clusterRequestID string) ([]store.Binding, error) {
	return t.listBindings(ctx, "cluster_request_id = ? ORDER BY created_at, id", clusterRequestID)
}

// ListExpiredBindings implements store.Bindings.
func (t *tx) ListExpiredBindings(ctx context.Context, now time.Time, limit int) ([]store.Binding, error) {
	return t.listBindings(ctx, "state <> 'REMOVED' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?",
		t.d().timeArg(now), limitArg(limit))
}

func (t *tx) listBindings(ctx context.Context, where string, args ...any) ([]store.Binding, error) {
	const op = "sqlstore: list bindings"
	rows, err := t.query(ctx, op, "SELECT "+bindingCols+" FROM bindings WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	bs, err := collect(rows, scanBinding)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return bs, nil
}
