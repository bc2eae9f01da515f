package dataproc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ClusterRequest is one approved cluster to create.
type ClusterRequest struct {
	// Key identifies the cluster request across redeliveries; the cluster's
	// name and request_id derive from it. Required.
	Key       string
	RequestID string // shown in the iis-request label; empty means Key
	Principal string // only a keyed hash of it reaches Dataproc
	Role      string
	Project   string
	Region    string
	Config    ClusterConfig
	Labels    map[string]string // the requester's; iis- and goog- keys are reserved
}

// ClusterConfig is a whole cluster configuration, approved by the policy.
type ClusterConfig struct {
	Master, Workers, SecondaryWorkers NodeGroup
	ImageVersion                      string
	IdleDeleteTTL, AutoDeleteTTL      time.Duration // both required: no cluster without an end
	InternalIPOnly                    bool
	KMSKey                            string
	NetworkTags                       []string
	ServiceAccount                    string // the VMs' service account
	// PersonalAuthUser, when set, turns on Personal Cluster Authentication
	// for that user (the requester's e-mail address).
	PersonalAuthUser   string
	ComponentGateway   bool
	OptionalComponents []string
	Properties         map[string]string
}

// NodeGroup is a group of VMs.
type NodeGroup struct {
	Count        int
	MachineType  string
	Accelerators []Accelerator
}

// Accelerator is a GPU type and how many each VM gets.
type Accelerator struct {
	Type  string
	Count int
}

// Cluster identifies a created cluster; the store keeps it.
type Cluster struct {
	Project, Region, Name string
	Resource              string // projects/P/regions/R/clusters/C
	UUID                  string // Dataproc's, once known
	Operation             string // the create operation
	DataprocRequestID     string
}

// clusterDomain separates cluster names from the other ids of a key.
const clusterDomain = "dataproc-iis/cluster-name/v1\x00"

// ClusterName is the cluster name derived from a request key: "iis-" and
// 32 hex digits of SHA-256, a valid cluster name, the same for every
// delivery of the request.
func ClusterName(key string) string {
	sum := sha256.Sum256([]byte(clusterDomain + key))
	return "iis-" + hex.EncodeToString(sum[:16])
}

// ClusterResource is a cluster's resource name.
func ClusterResource(project, region, name string) string {
	return fmt.Sprintf("projects/%s/regions/%s/clusters/%s", project, region, name)
}

// ExpectedCluster is the Cluster a CreateCluster of the request with this
// key creates (or created), without the ids only Dataproc knows.
func ExpectedCluster(key, project, region string) Cluster {
	name := ClusterName(key)
	return Cluster{Project: project, Region: region, Name: name, Resource: ClusterResource(project, region, name), DataprocRequestID: ID(key)}
}

// personalAuthProperty turns on Personal Cluster Authentication.
const personalAuthProperty = "dataproc:dataproc.personal-auth.user"

func (r ClusterRequest) validate() error {
	c := r.Config
	switch {
	case r.Key == "":
		return fmt.Errorf("empty request key")
	case !projectRE.MatchString(r.Project):
		return fmt.Errorf("invalid project %q", r.Project)
	case !regionRE.MatchString(r.Region):
		return fmt.Errorf("%w %q", ErrInvalidRegion, r.Region)
	case c.ServiceAccount == "":
		return fmt.Errorf("no VM service account")
	case c.IdleDeleteTTL < minTTL || c.IdleDeleteTTL > maxTTL || c.AutoDeleteTTL < minTTL || c.AutoDeleteTTL > maxTTL:
		return fmt.Errorf("idle and auto-delete TTLs must be between %s and %s", minTTL, maxTTL)
	case c.Master.MachineType == "" || c.Master.Count != 1 && c.Master.Count != 3:
		return fmt.Errorf("the master needs a machine type and 1 or 3 instances")
	}
	for _, comp := range c.OptionalComponents {
		if v, ok := dataprocpb.Component_value[comp]; !ok || v == 0 {
			return fmt.Errorf("unknown optional component %q", comp)
		}
	}
	for k := range c.Properties {
		if strings.HasPrefix(strings.ToLower(k), "dataproc:dataproc.personal-auth.") {
			return fmt.Errorf("property %q is the broker's", k)
		}
	}
	if len(r.Labels) > maxLabels-len(reservedLabels) {
		return fmt.Errorf("%d labels, at most %d allowed", len(r.Labels), maxLabels-len(reservedLabels))
	}
	for k, v := range r.Labels {
		if !labelKeyRE.MatchString(k) || !labelValueRE.MatchString(v) || strings.HasPrefix(k, "iis-") || strings.HasPrefix(k, "goog-") {
			return fmt.Errorf("invalid or reserved label %q", k)
		}
	}
	return nil
}

// clusterLabels are the requester's labels and the broker's (which win).
func (s *Submitter) clusterLabels(r ClusterRequest) map[string]string {
	l := maps.Clone(r.Labels)
	if l == nil {
		l = make(map[string]string, len(reservedLabels))
	}
	id := r.RequestID
	if id == "" {
		id = r.Key
	}
	l[LabelRequest], l[LabelPrincipal], l[LabelRole] = RequestLabel(id), PrincipalLabel(s.labelKey, r.Principal), RoleLabel(r.Role)
	return l
}

// buildCluster returns the cluster for a validated request: its VMs run as
// the approved service account, and its lifecycle ends it.
func buildCluster(name string, r ClusterRequest, labels map[string]string) *dataprocpb.Cluster {
	c := r.Config
	group := func(g NodeGroup) *dataprocpb.InstanceGroupConfig {
		ig := &dataprocpb.InstanceGroupConfig{NumInstances: int32(g.Count), MachineTypeUri: g.MachineType}
		for _, a := range g.Accelerators {
			ig.Accelerators = append(ig.Accelerators, &dataprocpb.AcceleratorConfig{AcceleratorTypeUri: a.Type, AcceleratorCount: int32(a.Count)})
		}
		return ig
	}
	ip := c.InternalIPOnly
	props := maps.Clone(c.Properties)
	if c.PersonalAuthUser != "" {
		if props == nil {
			props = map[string]string{}
		}
		props[personalAuthProperty] = c.PersonalAuthUser
	}
	sw := &dataprocpb.SoftwareConfig{ImageVersion: c.ImageVersion, Properties: props}
	for _, comp := range c.OptionalComponents {
		sw.OptionalComponents = append(sw.OptionalComponents, dataprocpb.Component(dataprocpb.Component_value[comp]))
	}
	cfg := &dataprocpb.ClusterConfig{
		GceClusterConfig: &dataprocpb.GceClusterConfig{ServiceAccount: c.ServiceAccount, InternalIpOnly: &ip,
			Tags: slices.Clone(c.NetworkTags)},
		MasterConfig:   group(c.Master),
		WorkerConfig:   group(c.Workers),
		SoftwareConfig: sw,
		LifecycleConfig: &dataprocpb.LifecycleConfig{IdleDeleteTtl: durationpb.New(c.IdleDeleteTTL),
			Ttl: &dataprocpb.LifecycleConfig_AutoDeleteTtl{AutoDeleteTtl: durationpb.New(c.AutoDeleteTTL)}},
		EndpointConfig: &dataprocpb.EndpointConfig{EnableHttpPortAccess: c.ComponentGateway},
	}
	if c.SecondaryWorkers.Count > 0 {
		cfg.SecondaryWorkerConfig = group(c.SecondaryWorkers)
	}
	if c.KMSKey != "" {
		cfg.EncryptionConfig = &dataprocpb.EncryptionConfig{GcePdKmsKeyName: c.KMSKey}
	}
	return &dataprocpb.Cluster{ProjectId: r.Project, ClusterName: name, Labels: labels, Config: cfg}
}
