package request

import (
	"context"
	"errors"
	"fmt"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Reasons a job on a cluster the broker created is refused.
const (
	// ReasonClusterNotOwned: the cluster is another principal's.
	ReasonClusterNotOwned = "cluster_not_owned"
	// ReasonClusterNotRunning: the cluster is not RUNNING (being created,
	// being deleted, or gone).
	ReasonClusterNotRunning = "cluster_not_running"
)

// onOwnCluster refuses an approved job whose target is a cluster the
// broker created for another principal, or one that is not running: a
// principal's cluster runs its owner's jobs only, whatever the role's
// target patterns allow. Clusters the broker did not create are the
// policy's alone.
func (h *Handler) onOwnCluster(ctx context.Context, req events.JobRequest, out decision.Outcome) (decision.Outcome, error) {
	t := req.Target
	if !out.Allowed() || t.Cluster == "" {
		return out, nil
	}
	var c store.Cluster
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		c, err = tx.FindCluster(ctx, t.Project, t.Region, t.Cluster)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return out, nil
	case err != nil:
		return out, err
	}
	userID, name := directoryField(out, "user_id"), principalID(out, req.IDToken)
	var code, msg string
	switch {
	case c.UserID != "" && c.UserID != userID || c.UserID == "" && c.Principal != name:
		code, msg = ReasonClusterNotOwned, fmt.Sprintf("cluster %s is %s's: jobs run on their owner's clusters only", t.Cluster, c.Principal)
	case c.Ended || c.State != "RUNNING" || c.DeleteReason != "":
		code, msg = ReasonClusterNotRunning, fmt.Sprintf("cluster %s is %s, not RUNNING", t.Cluster, c.State)
	default:
		return out, nil
	}
	d := out.Decision
	d.Allowed, d.ServiceAccount, d.MaxDuration, d.CredentialLifetime = false, "", 0, 0
	d.Reasons = []policy.Reason{{Code: code, Role: d.Role, Message: msg}}
	out.Decision = d
	return out, nil
}
