package store

import (
	"context"
	"time"
)

// Cluster states the broker keeps besides Dataproc's own (CREATING,
// RUNNING, ERROR, DELETING, ...).
const (
	ClusterApproved   = "APPROVED"    // decided; CreateCluster not yet confirmed
	ClusterNotCreated = "NOT_CREATED" // ended: approved, never created
	ClusterDeleted    = "DELETED"     // ended: Dataproc no longer knows it
)

// Cluster is a Dataproc cluster the broker approved for a principal,
// recorded with the decision (before it is created, so that a cascade finds
// it however far its creation got) and followed until it is gone.
type Cluster struct {
	RequestID      string // CloudEvent id of the cluster request; the key
	RequestKey     string // its EventKey; the cluster's name and Dataproc ids derive from it
	Principal      string
	UserID         string // directory user id ("" when not linked)
	Role           string
	Template       string
	ServiceAccount string // the VMs' service account (the role's)
	Project        string
	Region         string
	Name           string
	Resource       string // projects/P/regions/R/clusters/C
	// UUID and Operation are Dataproc's, once CreateCluster was accepted.
	UUID              string
	Operation         string
	DataprocRequestID string
	// Spec is the approved configuration, as JSON (events.ClusterConfig):
	// what a redelivery creates even if the policy changed meanwhile.
	Spec  string
	State string
	Ended bool
	// AutoDeleteAt is the cluster's end at the latest (zero until it is
	// created): the broker deletes it then if Dataproc did not.
	AutoDeleteAt time.Time
	// DeleteReason is why the broker deletes it (events.Deleted*), "" until
	// it decides to; DeleteCause is the id of the event that asked (the
	// delete request, the cascade's access.revoked, ...), the cause of the
	// cluster's change to DELETING. A cluster Dataproc cannot delete yet
	// (still CREATING) keeps both until the watcher can.
	DeleteReason string
	DeleteCause  string
	NextPollAt   time.Time
	Attempts     int // polls since the last change
	// LastEventID is the id of the last audit event of the cluster's trail.
	LastEventID string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Binding states.
const (
	BindingPending = "PENDING" // approved; SetIamPolicy not yet confirmed
	BindingActive  = "ACTIVE"  // in the cluster's IAM policy
	BindingRemoved = "REMOVED" // taken out (expired, revoked, cluster gone), or never added
)

// Binding is a conditional IAM binding the broker adds to a cluster for a
// principal: recorded when approved (before SetIamPolicy, so that a cascade
// or the drift reconciler knows it) and until it is removed.
type Binding struct {
	// ID is the title of the binding's IAM Condition ("iis-" and hex digits
	// derived from the request key): how the broker recognises its own
	// bindings in a policy.
	ID               string
	RequestID        string // CloudEvent id of the access request
	RequestKey       string
	ClusterRequestID string // the cluster's request id
	Resource         string // the cluster's resource name
	Principal        string
	UserID           string
	Member           string // user:..., serviceAccount:...
	IAMRole          string
	ExpiresAt        time.Time
	State            string
	RemovedAt        *time.Time
	RemoveReason     string
	// EventID is the id of the last audit event of the binding's trail
	// (access.approved, then access.granted): the cause of the next.
	EventID   string
	CreatedAt time.Time
}

// Clusters tracks the clusters the broker approved and created.
type Clusters interface {
	// PutCluster inserts or replaces the cluster with c.RequestID, keeping
	// CreatedAt. An ended cluster stays ended (with its state and reason).
	PutCluster(ctx context.Context, c Cluster) error
	GetCluster(ctx context.Context, requestID string) (Cluster, error)
	// FindCluster returns the cluster not ended with that name in the
	// project and region, else the last one recorded, else ErrNotFound.
	FindCluster(ctx context.Context, project, region, name string) (Cluster, error)
	// ListActiveClusters returns every cluster not ended, oldest first.
	ListActiveClusters(ctx context.Context) ([]Cluster, error)
	// ListActiveClustersByUser returns the clusters not ended of the
	// directory user with that id, oldest first.
	ListActiveClustersByUser(ctx context.Context, userID string) ([]Cluster, error)
	// ListActiveClustersByPrincipal returns the clusters not ended recorded
	// under the principal name, oldest first.
	ListActiveClustersByPrincipal(ctx context.Context, principal string) ([]Cluster, error)
}

// ClusterClaims hands each due cluster to one watcher at a time (see
// JobClaims).
type ClusterClaims interface {
	// ClaimDueClusters picks up to limit clusters not ended whose
	// NextPollAt is not after now, moves their NextPollAt to now+lease and
	// returns them in RequestID order; concurrent callers get disjoint ones.
	ClaimDueClusters(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Cluster, error)
}

// Bindings tracks the conditional IAM bindings the broker adds.
type Bindings interface {
	// PutBinding inserts or replaces the binding with b.ID, keeping
	// CreatedAt. A removed binding stays removed.
	PutBinding(ctx context.Context, b Binding) error
	GetBinding(ctx context.Context, id string) (Binding, error)
	// ListActiveBindingsByUser returns the bindings not removed of the
	// directory user with that id, oldest first.
	ListActiveBindingsByUser(ctx context.Context, userID string) ([]Binding, error)
	// ListActiveBindingsByPrincipal returns the bindings not removed
	// recorded under the principal name, oldest first.
	ListActiveBindingsByPrincipal(ctx context.Context, principal string) ([]Binding, error)
	// ListBindingsByCluster returns every binding on the cluster of that
	// request, removed ones included, oldest first.
	ListBindingsByCluster(ctx context.Context, clusterRequestID string) ([]Binding, error)
	// ListExpiredBindings returns up to limit bindings not removed whose
	// ExpiresAt is not after now, soonest first (limit <= 0: all).
	ListExpiredBindings(ctx context.Context, now time.Time, limit int) ([]Binding, error)
}
