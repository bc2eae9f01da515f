package sqlstore

import (
	"context"
	"sort"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

const clusterCols = `request_id, request_key, principal, user_id, role, template, service_account, project, region,
	name, resource, uuid, operation, dataproc_request_id, spec, state, ended, auto_delete_at, delete_reason, delete_cause,
	next_poll_at, attempts, last_event_id, created_at, updated_at`

func scanCluster(r rowScanner) (store.Cluster, error) {
	var c store.Cluster
	err := r.Scan(&c.RequestID, &c.RequestKey, &c.Principal, &c.UserID, &c.Role, &c.Template, &c.ServiceAccount,
		&c.Project, &c.Region, &c.Name, &c.Resource, &c.UUID, &c.Operation, &c.DataprocRequestID, &c.Spec,
		&c.State, &c.Ended, timeCol{&c.AutoDeleteAt}, &c.DeleteReason, &c.DeleteCause, timeCol{&c.NextPollAt}, &c.Attempts,
		&c.LastEventID, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	c.RequestKey = decodeKey(c.RequestKey)
	return c, err
}

// zeroNull encodes a zero time as NULL.
func (d *Dialect) zeroNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.timeArg(t)
}

// PutCluster implements store.Clusters. An ended cluster keeps its state
// and reason and stays ended.
func (t *tx) PutCluster(ctx context.Context, c store.Cluster) error {
	switch {
	case c.RequestID == "" || c.RequestKey == "" || c.Principal == "" || c.Name == "" || c.State == "":
		return invalid("PutCluster: empty request id, key, principal, name or state")
	case c.Attempts < 0:
		return invalid("PutCluster: negative attempts")
	}
	now := t.d().timeArg(t.s.now())
	_, err := t.exec(ctx, "sqlstore: PutCluster",
		`INSERT INTO clusters (`+clusterCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (request_id) DO UPDATE SET
		   principal = excluded.principal, user_id = excluded.user_id, role = excluded.role,
		   template = excluded.template, service_account = excluded.service_account,
		   uuid = excluded.uuid, operation = excluded.operation, dataproc_request_id = excluded.dataproc_request_id,
		   spec = excluded.spec,
		   state = CASE WHEN clusters.ended THEN clusters.state ELSE excluded.state END,
		   delete_reason = CASE WHEN clusters.ended THEN clusters.delete_reason ELSE excluded.delete_reason END,
		   delete_cause = CASE WHEN clusters.ended THEN clusters.delete_cause ELSE excluded.delete_cause END,
		   ended = clusters.ended OR excluded.ended,
		   auto_delete_at = excluded.auto_delete_at, next_poll_at = excluded.next_poll_at,
		   attempts = excluded.attempts, updated_at = excluded.updated_at,
		   last_event_id = CASE WHEN excluded.last_event_id = '' THEN clusters.last_event_id ELSE excluded.last_event_id END`,
		c.RequestID, encodeKey(c.RequestKey), c.Principal, c.UserID, c.Role, c.Template, c.ServiceAccount,
		c.Project, c.Region, c.Name, c.Resource, c.UUID, c.Operation, c.DataprocRequestID, c.Spec,
		c.State, c.Ended, t.d().zeroNull(c.AutoDeleteAt), c.DeleteReason, c.DeleteCause, t.d().timeArg(c.NextPollAt), c.Attempts,
		c.LastEventID, now, now)
	return err
}

// GetCluster implements store.Clusters.
func (t *tx) GetCluster(ctx context.Context, requestID string) (store.Cluster, error) {
	cs, err := t.listClusters(ctx, "request_id = ?", requestID)
	if err != nil {
		return store.Cluster{}, err
	}
	if len(cs) == 0 {
		return store.Cluster{}, notFound("cluster of request %q", requestID)
	}
	return cs[0], nil
}

// FindCluster implements store.Clusters.
func (t *tx) FindCluster(ctx context.Context, project, region, name string) (store.Cluster, error) {
	cs, err := t.listClusters(ctx, "project = ? AND region = ? AND name = ? ORDER BY ended, created_at DESC, request_id LIMIT 1",
		project, region, name)
	if err != nil {
		return store.Cluster{}, err
	}
	if len(cs) == 0 {
		return store.Cluster{}, notFound("cluster %s/%s/%s", project, region, name)
	}
	return cs[0], nil
}

// ListActiveClusters implements store.Clusters.
func (t *tx) ListActiveClusters(ctx context.Context) ([]store.Cluster, error) {
	return t.listClusters(ctx, "NOT ended ORDER BY created_at, request_id")
}

// ListActiveClustersByUser implements store.Clusters.
func (t *tx) ListActiveClustersByUser(ctx context.Context, userID string) ([]store.Cluster, error) {
	if userID == "" {
		return nil, nil
	}
	return t.listClusters(ctx, "NOT ended AND user_id = ? ORDER BY created_at, request_id", userID)
}

// ListActiveClustersByPrincipal implements store.Clusters.
func (t *tx) ListActiveClustersByPrincipal(ctx context.Context, principal string) ([]store.Cluster, error) {
	return t.listClusters(ctx, "NOT ended AND principal = ? ORDER BY created_at, request_id", principal)
}

func (t *tx) listClusters(ctx context.Context, where string, args ...any) ([]store.Cluster, error) {
	const op = "sqlstore: list clusters"
	rows, err := t.query(ctx, op, "SELECT "+clusterCols+" FROM clusters WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	cs, err := collect(rows, scanCluster)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return cs, nil
}

// ClaimDueClusters implements store.ClusterClaims, like ClaimDueJobs.
func (s *Store) ClaimDueClusters(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Cluster, error) {
	const op = "sqlstore: ClaimDueClusters"
	if lease <= 0 || limit <= 0 {
		return nil, invalid("ClaimDueClusters: lease %v, limit %d: need positive values", lease, limit)
	}
	q := `UPDATE clusters SET next_poll_at = ?
	      WHERE request_id IN (SELECT request_id FROM clusters WHERE NOT ended AND next_poll_at <= ?
	                           ORDER BY next_poll_at, request_id LIMIT ?` + s.d.SkipLocked + `)
	      RETURNING ` + clusterCols
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), s.d.timeArg(now.Add(lease)), s.d.timeArg(now), limit)
	if err != nil {
		return nil, s.d.Wrap(op, err)
	}
	cs, err := collect(rows, scanCluster)
	if err != nil {
		return nil, s.d.Wrap(op, err)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].RequestID < cs[j].RequestID })
	return cs, nil
}
