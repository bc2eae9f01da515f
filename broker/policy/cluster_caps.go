package policy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/events"
)

// clusterRules is a role's clusters section, compiled: the templates its
// holders may create clusters from, the caps on what a request may change,
// and the time-bound access to logs and UIs its holders may ask for.
type clusterRules struct {
	templates   map[string]*clusterTemplate
	names       []string // template names in file order
	caps        clusterCaps
	maxClusters int
	access      map[string]accessView // by view
	viewOthers  bool                  // holders may view other principals' clusters
	cond        *condition            // compiled in the cluster environment
}

type clusterTemplate struct {
	name string
	line int
	spec ClusterSpec // as written; TTLs zero when the template leaves them to the request
}

// clusterCaps bound the whole configuration, whatever the template and the
// request say. Lists are allow-lists: what is not listed is refused.
type clusterCaps struct {
	projects, regions, machineTypes, images, tags, properties []glob
	maxWorkers, maxSecondary                                  int
	accelerators                                              map[string]int // type -> most per VM
	maxIdle, maxAuto                                          time.Duration
	internalIPOnly                                            bool
	kmsKey                                                    string
	personalAuth, gateway                                     string // SettingAllowed, SettingRequired, SettingForbidden
	components                                                []string
}

// accessView is what a view of a cluster grants: an IAM role on that
// cluster, for at most maxDuration.
type accessView struct {
	iamRole     string
	maxDuration time.Duration
}

// reservedProperties are set by the broker (Personal Cluster
// Authentication names the requester): no template or request sets them.
var reservedProperties = []string{"dataproc:dataproc.personal-auth."}

// capCheck is one failed cap, reported through fail; fail returns true to
// stop at the first failure.
type capFail func(code, field, cap, msg string) bool

// checkCaps checks the whole spec against the caps, cheapest first. It
// reports whether fail asked to stop.
func (c *clusterCaps) check(s *ClusterSpec, fail capFail) bool {
	if !anyGlob(c.projects, s.Project) && fail(CodeClusterProject, "project", "projects: "+globList(c.projects),
		fmt.Sprintf("project %q is not among the role's cluster projects", s.Project)) {
		return true
	}
	if !anyGlob(c.regions, s.Region) && fail(CodeClusterRegion, "region", "regions: "+globList(c.regions),
		fmt.Sprintf("region %q is not among the role's cluster regions", s.Region)) {
		return true
	}
	if s.Master.Count != 1 && s.Master.Count != 3 && fail(CodeClusterMaster, "config.master.count", "1 or 3 (high availability)",
		fmt.Sprintf("config.master.count %d: a cluster has 1 master, or 3 for high availability", s.Master.Count)) {
		return true
	}
	for _, g := range []struct {
		field string
		n     *NodeSpec
	}{{"config.master", &s.Master}, {"config.workers", &s.Workers}, {"config.secondary_workers", &s.SecondaryWorkers}} {
		if g.n.Count == 0 && g.field != "config.master" {
			continue
		}
		if !anyGlob(c.machineTypes, g.n.MachineType) && fail(CodeClusterMachineType, g.field+".machine_type", "machine_types: "+globList(c.machineTypes),
			fmt.Sprintf("%s.machine_type %q is not among the role's machine types", g.field, g.n.MachineType)) {
			return true
		}
		if c.checkAccelerators(g.field, g.n, fail) {
			return true
		}
	}
	if (s.Workers.Count < 0 || s.Workers.Count > c.maxWorkers) && fail(CodeClusterWorkers, "config.workers.count", "max_workers: "+strconv.Itoa(c.maxWorkers),
		fmt.Sprintf("config.workers.count %d exceeds the role's max_workers %d", s.Workers.Count, c.maxWorkers)) {
		return true
	}
	if (s.SecondaryWorkers.Count < 0 || s.SecondaryWorkers.Count > c.maxSecondary) && fail(CodeClusterSecondaryWorkers, "config.secondary_workers.count",
		"max_secondary_workers: "+strconv.Itoa(c.maxSecondary),
		fmt.Sprintf("config.secondary_workers.count %d exceeds the role's max_secondary_workers %d", s.SecondaryWorkers.Count, c.maxSecondary)) {
		return true
	}
	if !anyGlob(c.images, s.ImageVersion) && fail(CodeClusterImage, "config.image_version", "image_versions: "+globList(c.images),
		fmt.Sprintf("config.image_version %q is not among the role's image versions", s.ImageVersion)) {
		return true
	}
	if checkTTL("config.idle_delete_ttl", "max_idle_delete_ttl", s.IdleDeleteTTL, c.maxIdle, fail) ||
		checkTTL("config.auto_delete_ttl", "max_auto_delete_ttl", s.AutoDeleteTTL, c.maxAuto, fail) {
		return true
	}
	if c.internalIPOnly && !s.InternalIPOnly && fail(CodeClusterPublicIP, "config.internal_ip_only", "internal_ip_only: true",
		"the role's clusters must have internal IP addresses only (no public IP)") {
		return true
	}
	if c.kmsKey != "" && s.KMSKey != c.kmsKey && fail(CodeClusterKMSKey, "config.kms_key", "kms_key: "+c.kmsKey,
		fmt.Sprintf("the role's clusters must encrypt their disks with %s, not %q", c.kmsKey, s.KMSKey)) {
		return true
	}
	for i, t := range s.NetworkTags {
		if !anyGlob(c.tags, t) && fail(CodeClusterNetworkTag, "config.network_tags["+strconv.Itoa(i)+"]", "network_tags: "+globList(c.tags),
			fmt.Sprintf("network tag %q is not among the role's network tags", t)) {
			return true
		}
	}
	if setting(c.personalAuth, s.PersonalAuth, CodeClusterPersonalAuth, CodeClusterPersonalAuthRequired, "config.personal_auth", "personal_auth", fail) ||
		setting(c.gateway, s.ComponentGateway, CodeClusterGateway, CodeClusterGatewayRequired, "config.component_gateway", "component_gateway", fail) {
		return true
	}
	for i, comp := range s.OptionalComponents {
		if !slices.Contains(c.components, comp) && fail(CodeClusterComponent, "config.optional_components["+strconv.Itoa(i)+"]",
			"optional_components: "+listOrNone(c.components), fmt.Sprintf("optional component %q is not among the role's", comp)) {
			return true
		}
	}
	return c.checkProperties(s.Properties, fail)
}

func (c *clusterCaps) checkAccelerators(field string, n *NodeSpec, fail capFail) bool {
	for i, a := range n.Accelerators {
		most, ok := c.accelerators[strings.ToLower(a.Type)]
		f := fmt.Sprintf("%s.accelerators[%d]", field, i)
		switch {
		case !ok:
			if fail(CodeClusterAccelerator, f+".type", "accelerators: "+acceleratorList(c.accelerators),
				fmt.Sprintf("accelerator %q is not among the role's", a.Type)) {
				return true
			}
		case a.Count < 1 || a.Count > most:
			if fail(CodeClusterAccelerator, f+".count", fmt.Sprintf("accelerators: %s: %d", a.Type, most),
				fmt.Sprintf("%d × %s per VM exceeds the role's %d", a.Count, a.Type, most)) {
				return true
			}
		}
	}
	return false
}

func (c *clusterCaps) checkProperties(props map[string]string, fail capFail) bool {
	keys := slices.Sorted(maps.Keys(props))
	for _, k := range keys {
		f := "config.properties[" + strconv.Quote(k) + "]"
		var why string
		switch {
		case reservedProperty(k):
			why = "is set by the broker"
		case events.SecretProperty(k):
			why = "looks like it holds a secret, which a cluster property must not"
		case !anyGlob(c.properties, k):
			why = "is not among the role's allowed properties"
		default:
			continue
		}
		if fail(CodeClusterProperty, f, "properties: "+globList(c.properties), "property "+strconv.Quote(k)+" "+why) {
			return true
		}
	}
	return false
}

func reservedProperty(k string) bool {
	k = strings.ToLower(strings.TrimSpace(k))
	for _, p := range reservedProperties {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// checkTTL requires a TTL within Dataproc's bounds and the role's cap:
// no cluster without an end.
func checkTTL(field, capName string, d, most time.Duration, fail capFail) bool {
	cap := capName + ": " + most.String()
	switch {
	case d == 0:
		return fail(CodeClusterTTLMissing, field, cap+" (mandatory)", field+" is required: no cluster without an end")
	case d < MinClusterTTL || d > MaxClusterTTL:
		return fail(CodeClusterTTLInvalid, field, fmt.Sprintf("between %s and %s (Dataproc)", MinClusterTTL, MaxClusterTTL),
			fmt.Sprintf("%s %s is outside Dataproc's bounds", field, d))
	case d > most:
		return fail(CodeClusterTTLExceeded, field, cap, fmt.Sprintf("%s %s exceeds the role's %s %s", field, d, capName, most))
	}
	return false
}

// setting checks an on/off feature against a cap that allows, requires or
// forbids it.
func setting(cap string, on bool, notAllowed, required, field, name string, fail capFail) bool {
	switch {
	case cap == SettingForbidden && on:
		return fail(notAllowed, field, name+": forbidden", "the role's clusters may not enable "+name)
	case cap == SettingRequired && !on:
		return fail(required, field, name+": required", "the role's clusters must enable "+name)
	}
	return false
}

func anyGlob(gs []glob, s string) bool {
	s = strings.ToLower(s)
	for _, g := range gs {
		if g.match(s) {
			return true
		}
	}
	return false
}

func globList(gs []glob) string {
	if len(gs) == 0 {
		return "(none)"
	}
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.src
	}
	return strings.Join(out, ", ")
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

func acceleratorList(m map[string]int) string {
	if len(m) == 0 {
		return "(none)"
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+": "+strconv.Itoa(m[k]))
	}
	return strings.Join(out, ", ")
}
