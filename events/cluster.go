package events

import "time"

// ClusterRequest is the data of cluster.requested.v1: a principal asks for a
// Dataproc cluster from a template the policy names, changing what the
// template allows within the role's caps.
type ClusterRequest struct {
	IDToken       string            `json:"id_token"`                // requester's OIDC ID token: a secret
	Role          string            `json:"role,omitempty"`          // optional role to ask for; policy decides
	Template      string            `json:"template"`                // a template of the role's clusters section
	Project       string            `json:"project,omitempty"`       // default: the template's
	Region        string            `json:"region,omitempty"`        // default: the template's
	Config        ClusterConfig     `json:"config,omitzero"`         // what the request changes in the template
	Justification string            `json:"justification,omitempty"` // free text for the audit trail
	Labels        map[string]string `json:"labels,omitempty"`        // Dataproc labels to add
}

// Facts returns the request without its ID token and with secret-looking
// property values redacted: what audit events may carry.
func (r ClusterRequest) Facts() ClusterFacts {
	cfg := r.Config
	cfg.Properties = RedactProperties(cfg.Properties)
	return ClusterFacts{Role: r.Role, Template: r.Template, Project: r.Project, Region: r.Region, Config: cfg,
		Justification: r.Justification, Labels: r.Labels}
}

// ClusterFacts is a ClusterRequest without its ID token.
type ClusterFacts struct {
	Role          string            `json:"role,omitempty"`
	Template      string            `json:"template"`
	Project       string            `json:"project,omitempty"`
	Region        string            `json:"region,omitempty"`
	Config        ClusterConfig     `json:"config,omitzero"`
	Justification string            `json:"justification,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
}

// ClusterConfig is a cluster's configuration: in a request, only what it
// changes in the template (every field optional); in the broker's events,
// the whole configuration the policy approved.
type ClusterConfig struct {
	Master             *NodeGroup        `json:"master,omitempty"`
	Workers            *NodeGroup        `json:"workers,omitempty"`
	SecondaryWorkers   *NodeGroup        `json:"secondary_workers,omitempty"`
	ImageVersion       string            `json:"image_version,omitempty"`
	IdleDeleteTTL      string            `json:"idle_delete_ttl,omitempty"` // Go duration
	AutoDeleteTTL      string            `json:"auto_delete_ttl,omitempty"` // Go duration
	InternalIPOnly     *bool             `json:"internal_ip_only,omitempty"`
	KMSKey             string            `json:"kms_key,omitempty"`         // Cloud KMS key for disks
	NetworkTags        []string          `json:"network_tags,omitempty"`    // Compute Engine network tags
	ServiceAccount     string            `json:"service_account,omitempty"` // the VMs' service account: the role's
	PersonalAuth       *bool             `json:"personal_auth,omitempty"`   // Personal Cluster Authentication for the requester
	ComponentGateway   *bool             `json:"component_gateway,omitempty"`
	OptionalComponents []string          `json:"optional_components,omitempty"` // e.g. JUPYTER
	Properties         map[string]string `json:"properties,omitempty"`          // "prefix:property" cluster properties
}

// NodeGroup is one group of a cluster's VMs.
type NodeGroup struct {
	Count        *int          `json:"count,omitempty"`
	MachineType  string        `json:"machine_type,omitempty"`
	Accelerators []Accelerator `json:"accelerators,omitempty"`
}

// Accelerator is a GPU type and how many each VM of a group gets.
type Accelerator struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// ClusterDecision is the data of cluster.approved.v1 and cluster.denied.v1.
// An approval names the binding, role, template, the cluster the broker will
// create and the whole configuration approved; a denial has at least one
// reason, each naming the field and the cap at fault where there is one.
type ClusterDecision struct {
	RequestID          string               `json:"request_id"` // id of the cluster.requested event
	Principal          *Principal           `json:"principal,omitempty"`
	Outcome            string               `json:"outcome"` // "approved" | "denied"
	Reasons            []ClusterReason      `json:"reasons,omitempty"`
	Binding            string               `json:"binding,omitempty"`
	Role               string               `json:"role,omitempty"`
	Template           string               `json:"template,omitempty"`
	ServiceAccount     string               `json:"service_account,omitempty"`
	PolicyVersion      string               `json:"policy_version,omitempty"`
	Cluster            string               `json:"cluster,omitempty"` // the name the broker creates it under
	Project            string               `json:"project,omitempty"`
	Region             string               `json:"region,omitempty"`
	Config             *ClusterConfig       `json:"config,omitempty"` // the configuration approved
	CredentialLifetime string               `json:"credential_lifetime,omitempty"`
	Input              ClusterDecisionInput `json:"input"`
}

// ClusterReason is a reason of a cluster decision: a code, the field of the
// request (or template) at fault and the cap it broke, and a message.
type ClusterReason struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"` // e.g. "config.workers.count"
	Cap     string `json:"cap,omitempty"`   // e.g. "max_workers: 4"
	Message string `json:"message,omitempty"`
}

// ClusterDecisionInput is what a cluster decision was made on.
type ClusterDecisionInput struct {
	Claims   map[string]any `json:"claims,omitempty"`
	Request  ClusterFacts   `json:"request"`
	Time     time.Time      `json:"time"`
	Stage    string         `json:"stage,omitempty"`
	Identity map[string]any `json:"identity,omitempty"`
	// ActiveClusters is how many clusters the principal had when the
	// decision was made (the role's max_clusters caps it).
	ActiveClusters int `json:"active_clusters,omitempty"`
}

// ClusterCreation is the data of cluster.created.v1: Dataproc accepted the
// CreateCluster call; the cluster's state follows as cluster.state_changed.
type ClusterCreation struct {
	RequestID         string            `json:"request_id"`
	Cluster           string            `json:"cluster"`
	Project           string            `json:"project"`
	Region            string            `json:"region"`
	Resource          string            `json:"resource"` // projects/P/regions/R/clusters/C
	ClusterUUID       string            `json:"cluster_uuid,omitempty"`
	Operation         string            `json:"operation,omitempty"`
	DataprocRequestID string            `json:"dataproc_request_id"`
	ServiceAccount    string            `json:"service_account"` // the VMs' service account
	Role              string            `json:"role"`
	Template          string            `json:"template"`
	Labels            map[string]string `json:"labels,omitempty"`
	Config            ClusterConfig     `json:"config"`
	AutoDeleteTime    time.Time         `json:"auto_delete_time"` // its end at the latest
}

// ClusterStateChange is the data of cluster.state_changed.v1. States are
// Dataproc's (CREATING, RUNNING, ERROR, DELETING, ...) and, for a cluster
// that was approved but never created, NOT_CREATED (ended).
type ClusterStateChange struct {
	RequestID     string `json:"request_id"`
	Cluster       string `json:"cluster"`
	Resource      string `json:"resource"`
	PreviousState string `json:"previous_state,omitempty"`
	State         string `json:"state"`
	Detail        string `json:"detail,omitempty"`
	Ended         bool   `json:"ended"`
}

// ClusterDeleteRequest is the data of cluster.delete_requested.v1.
type ClusterDeleteRequest struct {
	IDToken   string `json:"id_token"`         // requester's OIDC ID token: a secret
	RequestID string `json:"request_id"`       // id of the cluster.requested event
	Reason    string `json:"reason,omitempty"` // free text for the audit trail
}

// Why a cluster was deleted (ClusterDeletion.Reason).
const (
	DeletedRequested = "requested"          // its owner or an admin asked
	DeletedExpired   = "expired"            // its auto-delete time passed and the broker deleted it
	DeletedLeaver    = "leaver"             // its owner left
	DeletedMover     = "mover"              // its owner lost the role it was created under
	DeletedFailed    = "failed"             // it went to ERROR
	DeletedInFlight  = "revoked_in_flight"  // its owner lost access while it was being created
	DeletedLifecycle = "dataproc_lifecycle" // gone without the broker deleting it: Dataproc's idle or auto-delete TTL (or a delete outside the broker)
)

// ClusterDeletion is the data of cluster.deleted.v1: the cluster is gone
// (Dataproc no longer knows it), with why and, for a delete the broker
// issued, who asked.
type ClusterDeletion struct {
	RequestID     string `json:"request_id"`
	Cluster       string `json:"cluster"`
	Resource      string `json:"resource"`
	PreviousState string `json:"previous_state,omitempty"`
	Reason        string `json:"reason"` // one of the Deleted* constants
	Detail        string `json:"detail,omitempty"`
	// BindingsRemoved are the condition titles of the access bindings
	// that went with the cluster's IAM policy.
	BindingsRemoved []string `json:"bindings_removed,omitempty"`
}
