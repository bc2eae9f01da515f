package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Identifier verifies a token and finds its principal in the directory;
// *decision.Decider implements it.
type Identifier interface {
	Identify(ctx context.Context, rawToken string) (decision.Identity, error)
}

// Minter mints short-lived credentials; *credentials.Minter implements it.
type Minter interface {
	Mint(ctx context.Context, sa string, roleCap time.Duration) (credentials.Credential, error)
}

// Provisioner creates, reads and deletes clusters; *dataproc.Submitter
// implements it.
type Provisioner interface {
	CreateCluster(ctx context.Context, cred credentials.Credential, req dataproc.ClusterRequest) (dataproc.Cluster, error)
	ClusterState(ctx context.Context, c dataproc.Caller, cl dataproc.Cluster) (state, detail, uuid string, gone bool, err error)
	DeleteCluster(ctx context.Context, c dataproc.Caller, cl dataproc.Cluster) error
}

// Auditor appends audit events; audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, tx store.Tx, e event.Event) error
}

var (
	_ Identifier  = (*decision.Decider)(nil)
	_ Minter      = (*credentials.Minter)(nil)
	_ Provisioner = (*dataproc.Submitter)(nil)
)

// Handler handles cluster.requested and cluster.delete_requested. Minter
// and Dataproc may be nil: the broker then decides and audits but creates
// nothing.
type Handler struct {
	Store    store.Store
	Audit    Auditor
	Identity Identifier
	Policy   decision.PolicySource
	// Directory says the directory is the authority (as for jobs).
	Directory bool
	Minter    Minter
	Dataproc  Provisioner
	Caller    dataproc.Caller // the broker's own credential: reads and deletes
	Source    string
	Wake      func()
	Now       func() time.Time
	// ClaimLease is how long a delivery's claim on creating a request's
	// cluster lasts without renewal (default 15s).
	ClaimLease time.Duration
	// AbandonAfter is how long an approved cluster may wait for its
	// creation before the watcher ends it as NOT_CREATED (default 15m).
	AbandonAfter time.Duration
}

// Types are the event types the handler takes.
func (h *Handler) Types() []string {
	return []string{events.ClusterRequested, events.ClusterDeleteRequested}
}

// Handle implements worker.Handler.
func (h *Handler) Handle(ctx context.Context, e event.Event) error {
	switch e.Type() {
	case events.ClusterRequested:
		req, err := events.DecodeClusterRequest(e)
		if err != nil {
			return err
		}
		d, err := h.decide(ctx, e, req)
		if err != nil || d.Outcome != store.OutcomeApproved || h.Minter == nil || h.Dataproc == nil {
			return err
		}
		return h.create(ctx, e, req, d)
	case events.ClusterDeleteRequested:
		dr, err := events.DecodeClusterDeleteRequest(e)
		if err != nil {
			return err
		}
		return h.deleteRequested(ctx, e, dr)
	}
	return errors.New("cluster: unexpected event type " + e.Type())
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) wake() {
	if h.Wake != nil {
		h.Wake()
	}
}

func (h *Handler) abandonAfter() time.Duration {
	if h.AbandonAfter > 0 {
		return h.AbandonAfter
	}
	return 15 * time.Minute
}

// handle is the Dataproc handle of a stored cluster.
func handle(c store.Cluster) dataproc.Cluster {
	return dataproc.Cluster{Project: c.Project, Region: c.Region, Name: c.Name, Resource: c.Resource, UUID: c.UUID,
		Operation: c.Operation, DataprocRequestID: c.DataprocRequestID}
}
