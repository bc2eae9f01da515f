package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

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

// IAM changes the IAM policies of clusters; *dataproc.Submitter implements it.
type IAM interface {
	AddBinding(ctx context.Context, c dataproc.Caller, cl dataproc.Cluster, b dataproc.Binding) (int, error)
	RemoveBindings(ctx context.Context, c dataproc.Caller, cl dataproc.Cluster, titles ...string) ([]string, error)
	Bindings(ctx context.Context, c dataproc.Caller, cl dataproc.Cluster) ([]dataproc.Binding, error)
}

// Auditor appends audit events; audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, tx store.Tx, e event.Event) error
}

var (
	_ Identifier = (*decision.Decider)(nil)
	_ IAM        = (*dataproc.Submitter)(nil)
)

// Handler handles access.requested. IAM may be nil: the broker then
// decides and audits but binds nothing.
type Handler struct {
	Store     store.Store
	Audit     Auditor
	Identity  Identifier
	Policy    decision.PolicySource
	Directory bool // the directory is the authority (as for jobs)
	IAM       IAM
	Caller    dataproc.Caller // the broker's own credential: only it may set IAM policies
	Source    string
	Wake      func()
	Now       func() time.Time
}

// Handle implements worker.Handler.
func (h *Handler) Handle(ctx context.Context, e event.Event) error {
	req, err := events.DecodeAccessRequest(e)
	if err != nil {
		return err
	}
	d, err := h.decide(ctx, e, req)
	if err != nil || d.Outcome != store.OutcomeApproved || h.IAM == nil {
		return err
	}
	return h.grant(ctx, e, d)
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

// titleDomain separates binding titles from the other ids of a key.
const titleDomain = "dataproc-iis/binding/v1\x00"

// Title is the condition title of the binding an access request grants:
// dataproc.TitlePrefix and 32 hex digits derived from the request key, the
// same for every delivery (so that adding it twice adds it once).
func Title(requestKey string) string {
	sum := sha256.Sum256([]byte(titleDomain + requestKey))
	return dataproc.TitlePrefix + hex.EncodeToString(sum[:16])
}

// clusterOf is the Dataproc handle of a binding's cluster.
func clusterOf(c store.Cluster) dataproc.Cluster {
	return dataproc.Cluster{Project: c.Project, Region: c.Region, Name: c.Name, Resource: c.Resource, UUID: c.UUID}
}

// Digest identifies an access request exactly (token included).
func Digest(r events.AccessRequest) string {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
