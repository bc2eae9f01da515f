package policy

import (
	"time"

	"github.com/dataproc-iis/iis/events"
)

// ClusterRequest is a request for a cluster as the policy decides it: a
// template of a role's clusters section and what the request changes in it.
// The principal comes from verified claims and the directory.
type ClusterRequest struct {
	Principal     Principal            `json:"-"`
	Role          string               `json:"role,omitempty"` // requested role; empty lets the policy pick
	Template      string               `json:"template"`
	Project       string               `json:"project,omitempty"` // empty: the template's
	Region        string               `json:"region,omitempty"`  // empty: the template's
	Config        events.ClusterConfig `json:"config,omitzero"`
	Justification string               `json:"justification,omitempty"`
	Labels        map[string]string    `json:"labels,omitempty"`
	// ActiveClusters is how many clusters the principal has (not deleted):
	// the role's max_clusters caps it.
	ActiveClusters int       `json:"active_clusters"`
	Time           time.Time `json:"time"`
}

// ClusterSpec is a whole cluster configuration: a template with a request's
// changes applied. It is what the caps are checked against, what CEL
// cluster conditions see as `cluster`, and what the broker creates.
type ClusterSpec struct {
	Project            string            `cel:"project"`
	Region             string            `cel:"region"`
	Template           string            `cel:"template"`
	Master             NodeSpec          `cel:"master"`
	Workers            NodeSpec          `cel:"workers"`
	SecondaryWorkers   NodeSpec          `cel:"secondary_workers"`
	ImageVersion       string            `cel:"image_version"`
	IdleDeleteTTL      time.Duration     `cel:"idle_delete_ttl"` // zero: not set (denied)
	AutoDeleteTTL      time.Duration     `cel:"auto_delete_ttl"` // zero: not set (denied)
	InternalIPOnly     bool              `cel:"internal_ip_only"`
	KMSKey             string            `cel:"kms_key"`
	NetworkTags        []string          `cel:"network_tags"`
	ServiceAccount     string            `cel:"service_account"` // the VMs' service account: the role's
	PersonalAuth       bool              `cel:"personal_auth"`
	ComponentGateway   bool              `cel:"component_gateway"`
	OptionalComponents []string          `cel:"optional_components"`
	Properties         map[string]string `cel:"properties"`
}

// NodeSpec is one group of VMs.
type NodeSpec struct {
	Count        int               `cel:"count"`
	MachineType  string            `cel:"machine_type"`
	Accelerators []AcceleratorSpec `cel:"accelerators"`
}

// AcceleratorSpec is a GPU type and how many each VM gets.
type AcceleratorSpec struct {
	Type  string `cel:"type"`
	Count int    `cel:"count"`
}

// ClusterDecision is the outcome of EvaluateCluster.
type ClusterDecision struct {
	Allowed            bool            `json:"allowed"`
	Reasons            []ClusterReason `json:"reasons"`
	Binding            string          `json:"binding,omitempty"`
	Role               string          `json:"role,omitempty"`
	Template           string          `json:"template,omitempty"`
	ServiceAccount     string          `json:"service_account,omitempty"`
	Spec               ClusterSpec     `json:"-"` // the configuration approved (zero when denied)
	CredentialLifetime time.Duration   `json:"credential_lifetime,omitempty"`
	Version            string          `json:"policy_version"`
	Input              map[string]any  `json:"input"` // snapshot for replay; never a token
}

// ClusterReason explains one step of a cluster decision: Field is the
// request or template field at fault and Cap the cap it broke, when there
// is one.
type ClusterReason struct {
	Code    string `json:"code"`
	Role    string `json:"role,omitempty"`
	Field   string `json:"field,omitempty"`
	Cap     string `json:"cap,omitempty"`
	Message string `json:"message"`
}

// Reason codes of cluster decisions, besides the job codes that also apply
// (no_binding, role_not_bound, denied_by_rule, principal_invalid,
// principal_type_not_allowed, justification_required, condition_false,
// condition_error).
const (
	CodeClusterNotAllowed           = "cluster_not_allowed" // the role has no clusters section
	CodeClusterTemplate             = "cluster_template_not_allowed"
	CodeClusterProject              = "cluster_project_not_allowed"
	CodeClusterRegion               = "cluster_region_not_allowed"
	CodeClusterMachineType          = "cluster_machine_type_not_allowed"
	CodeClusterMaster               = "cluster_master_invalid"
	CodeClusterWorkers              = "cluster_workers_exceeded"
	CodeClusterSecondaryWorkers     = "cluster_secondary_workers_exceeded"
	CodeClusterImage                = "cluster_image_not_allowed"
	CodeClusterAccelerator          = "cluster_accelerator_not_allowed"
	CodeClusterTTLMissing           = "cluster_ttl_missing"
	CodeClusterTTLInvalid           = "cluster_ttl_invalid"
	CodeClusterTTLExceeded          = "cluster_ttl_exceeded"
	CodeClusterPublicIP             = "cluster_public_ip"
	CodeClusterKMSKey               = "cluster_kms_key_required"
	CodeClusterNetworkTag           = "cluster_network_tag_not_allowed"
	CodeClusterServiceAccount       = "cluster_service_account_not_allowed"
	CodeClusterPersonalAuth         = "cluster_personal_auth_not_allowed"
	CodeClusterPersonalAuthRequired = "cluster_personal_auth_required"
	CodeClusterGateway              = "cluster_component_gateway_not_allowed"
	CodeClusterGatewayRequired      = "cluster_component_gateway_required"
	CodeClusterComponent            = "cluster_component_not_allowed"
	CodeClusterProperty             = "cluster_property_not_allowed"
	CodeClusterLabel                = "cluster_label_reserved"
	CodeClusterLimit                = "cluster_limit_reached"
)

// Dataproc's bounds on lifecycle TTLs.
const (
	MinClusterTTL = 10 * time.Minute
	MaxClusterTTL = 14 * 24 * time.Hour
)

// Settings of the caps personal_auth and component_gateway.
const (
	SettingAllowed   = "allowed"
	SettingRequired  = "required"
	SettingForbidden = "forbidden"
)

// EventConfig is the spec as a whole events.ClusterConfig, for the
// broker's audit events.
func (s ClusterSpec) EventConfig() events.ClusterConfig {
	group := func(n NodeSpec) *events.NodeGroup {
		g := &events.NodeGroup{Count: &n.Count, MachineType: n.MachineType}
		for _, a := range n.Accelerators {
			g.Accelerators = append(g.Accelerators, events.Accelerator{Type: a.Type, Count: a.Count})
		}
		return g
	}
	ip, pa, cg := s.InternalIPOnly, s.PersonalAuth, s.ComponentGateway
	return events.ClusterConfig{
		Master: group(s.Master), Workers: group(s.Workers), SecondaryWorkers: group(s.SecondaryWorkers),
		ImageVersion: s.ImageVersion, IdleDeleteTTL: s.IdleDeleteTTL.String(), AutoDeleteTTL: s.AutoDeleteTTL.String(),
		InternalIPOnly: &ip, KMSKey: s.KMSKey, NetworkTags: s.NetworkTags, ServiceAccount: s.ServiceAccount,
		PersonalAuth: &pa, ComponentGateway: &cg, OptionalComponents: s.OptionalComponents,
		Properties: s.Properties, // secret-looking keys are refused (see checkProperties)
	}
}

// SpecFromEvent is the inverse of EventConfig (for a configuration the
// store kept): every field of c is taken as set.
func SpecFromEvent(project, region, template string, c events.ClusterConfig) ClusterSpec {
	s := ClusterSpec{Project: project, Region: region, Template: template}
	applyConfig(&s, c)
	return s
}
