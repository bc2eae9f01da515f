package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	templateName   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	kmsKeyName     = regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$`)
	iamRoleName    = regexp.MustCompile(`^(roles/|projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/roles/|organizations/[0-9]{1,20}/roles/)[A-Za-z0-9_.]{1,128}$`)
	componentName  = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
	networkTagName = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// The forms the event schemas accept (schemas/cluster.*.json): a
	// template's values end up in cluster.approved.
	machineTypeName  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	imageVersionName = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*(-[a-z0-9]+)?$`)
	propertyName     = regexp.MustCompile(`^[a-z][a-z0-9-]*:[A-Za-z0-9][A-Za-z0-9._/-]{0,255}$`)
	views            = []string{"logs", "ui"}
	settings         = []string{SettingAllowed, SettingRequired, SettingForbidden}
)

// clusters parses a role's clusters section. Every template must lie
// within the caps: a policy whose own templates break its caps is refused.
func (l *errorList) clusters(n *yaml.Node, what string) *clusterRules {
	cr := &clusterRules{templates: map[string]*clusterTemplate{}, maxClusters: 1, access: map[string]accessView{}}
	var templates, capsNode *yaml.Node
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		w := what + ": " + key
		switch key {
		case "templates":
			templates = v
		case "caps":
			capsNode = v
		case "max_clusters":
			cr.maxClusters = l.count(v, w, 1, 1000)
		case "access":
			l.access(v, w, cr)
		case "condition":
			cr.cond = l.clusterCondition(v, w)
		default:
			return false
		}
		return true
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if capsNode == nil {
		l.at(n, "%s: caps are required (the bounds of every cluster the role may create)", what)
	} else {
		cr.caps = l.caps(capsNode, what+": caps")
	}
	if templates == nil {
		l.at(n, "%s: templates are required", what)
	} else {
		l.fields(templates, what+": templates", func(name string, k, v *yaml.Node) bool {
			w := fmt.Sprintf("%s: templates: %s", what, name)
			if !templateName.MatchString(name) {
				l.at(k, "%s: template names are a lower-case letter then up to 62 of [a-z0-9_-]", w)
				return true
			}
			t := &clusterTemplate{name: name, line: k.Line, spec: l.template(v, w)}
			t.spec.Template = name
			cr.templates[name] = t
			cr.names = append(cr.names, name)
			return true
		})
		l.notEmptyMap(templates, what+": templates")
	}
	if capsNode != nil {
		for _, name := range cr.names {
			t := cr.templates[name]
			s := t.spec.clone()
			s.IdleDeleteTTL = max(s.IdleDeleteTTL, MinClusterTTL) // a template may leave the TTLs to the request
			s.AutoDeleteTTL = max(s.AutoDeleteTTL, MinClusterTTL)
			cr.caps.check(&s, func(_, field, cap, msg string) bool {
				l.atLine(t.line, "%s: templates: %s: %s (%s; %s)", what, name, msg, strings.TrimPrefix(field, "config."), cap)
				return false
			})
		}
	}
	return cr
}

// template parses one cluster template.
func (l *errorList) template(n *yaml.Node, what string) ClusterSpec {
	s := ClusterSpec{Master: NodeSpec{Count: 1}, InternalIPOnly: true}
	var project, region bool
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		w := what + ": " + key
		switch key {
		case "description":
			l.str(v, w)
		case "project":
			s.Project, project = strings.ToLower(l.str(v, w)), true
		case "region":
			s.Region, region = strings.ToLower(l.str(v, w)), true
		case "master":
			s.Master = l.nodes(v, w, 1)
		case "workers":
			s.Workers = l.nodes(v, w, 2)
		case "secondary_workers":
			s.SecondaryWorkers = l.nodes(v, w, 0)
		case "image_version":
			if s.ImageVersion = l.str(v, w); s.ImageVersion != "" && !imageVersionName.MatchString(s.ImageVersion) {
				l.at(v, "%s: %q is not a Dataproc image version (e.g. 2.2-debian12)", w, s.ImageVersion)
			}
		case "idle_delete_ttl":
			s.IdleDeleteTTL = l.duration(v, w, MaxClusterTTL)
		case "auto_delete_ttl":
			s.AutoDeleteTTL = l.duration(v, w, MaxClusterTTL)
		case "internal_ip_only":
			s.InternalIPOnly = l.boolean(v, w)
		case "kms_key":
			if s.KMSKey = l.str(v, w); s.KMSKey != "" && !kmsKeyName.MatchString(s.KMSKey) {
				l.at(v, "%s: %q is not a Cloud KMS key name (projects/P/locations/L/keyRings/R/cryptoKeys/K)", w, s.KMSKey)
			}
		case "network_tags":
			s.NetworkTags = l.pattern(v, w, networkTagName, "a network tag")
		case "component_gateway":
			s.ComponentGateway = l.boolean(v, w)
		case "personal_auth":
			s.PersonalAuth = l.boolean(v, w)
		case "optional_components":
			s.OptionalComponents = l.pattern(v, w, componentName, "an optional component (JUPYTER, ZEPPELIN, ...)")
		case "properties":
			s.Properties = l.stringMap(v, w)
			for k := range s.Properties {
				if !propertyName.MatchString(k) {
					l.at(v, "%s: %q is not a cluster property (prefix:property, e.g. spark:spark.executor.memory)", w, k)
				}
			}
		default:
			return false
		}
		return true
	})
	if n.Kind == yaml.MappingNode && (!project || !region) {
		l.at(n, "%s: project and region are required", what)
	}
	if s.ImageVersion == "" && n.Kind == yaml.MappingNode {
		l.at(n, "%s: image_version is required", what)
	}
	return s
}

// nodes parses a group of VMs: count and machine type, and accelerators.
func (l *errorList) nodes(n *yaml.Node, what string, count int) NodeSpec {
	g := NodeSpec{Count: count}
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		w := what + ": " + key
		switch key {
		case "count":
			g.Count = l.count(v, w, 0, 10000)
		case "machine_type":
			if g.MachineType = l.str(v, w); g.MachineType != "" && !machineTypeName.MatchString(g.MachineType) {
				l.at(v, "%s: %q is not a machine type (e.g. n2-standard-4)", w, g.MachineType)
			}
		case "accelerators":
			if !l.kind(v, yaml.SequenceNode, w, "a list") {
				return true
			}
			for i, a := range v.Content {
				var acc AcceleratorSpec
				l.fields(a, fmt.Sprintf("%s[%d]", w, i), func(key string, _, v *yaml.Node) bool {
					switch key {
					case "type":
						if acc.Type = l.str(v, w+": type"); acc.Type != "" && !machineTypeName.MatchString(acc.Type) {
							l.at(v, "%s: type %q is not an accelerator type (e.g. nvidia-tesla-t4)", w, acc.Type)
						}
					case "count":
						acc.Count = l.count(v, w+": count", 1, 16)
					default:
						return false
					}
					return true
				})
				g.Accelerators = append(g.Accelerators, acc)
			}
		default:
			return false
		}
		return true
	})
	if n.Kind == yaml.MappingNode && g.MachineType == "" && g.Count > 0 {
		l.at(n, "%s: machine_type is required", what)
	}
	return g
}

func (l *errorList) clusterCondition(n *yaml.Node, what string) *condition {
	src := l.str(n, what)
	if src == "" {
		return nil
	}
	c, err := compileClusterCondition(src)
	if err != nil {
		l.at(n, "%s: %v", what, strings.ReplaceAll(err.Error(), "\n", "\n\t"))
		return nil
	}
	return c
}

// count reads an integer within [lo, hi].
func (l *errorList) count(n *yaml.Node, what string, lo, hi int) int {
	if !l.kind(n, yaml.ScalarNode, what, "a number") {
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if n.ShortTag() != "!!int" || err != nil {
		l.at(n, "%s: expected a whole number, got %q", what, n.Value)
		return 0
	}
	if v < lo || v > hi {
		l.at(n, "%s: %d is outside %d..%d", what, v, lo, hi)
		return 0
	}
	return v
}

// ttl reads a lifecycle TTL cap within Dataproc's bounds.
func (l *errorList) ttl(n *yaml.Node, what string) time.Duration {
	d := l.duration(n, what, MaxClusterTTL)
	if d != 0 && d < MinClusterTTL {
		l.at(n, "%s: %s is below Dataproc's minimum of %s", what, d, MinClusterTTL)
	}
	return d
}

func (l *errorList) globs(n *yaml.Node, what string) []glob {
	var out []glob
	for i, s := range l.strList(n, what) {
		g, err := compileGlob(s)
		if err != nil {
			l.at(n.Content[i], "%s: %v", what, err)
			continue
		}
		out = append(out, g)
	}
	l.notEmpty(n, what)
	return out
}

// pattern reads a list of strings that each match re.
func (l *errorList) pattern(n *yaml.Node, what string, re *regexp.Regexp, want string) []string {
	list := l.strList(n, what)
	for i, s := range list {
		if !re.MatchString(s) {
			l.at(n.Content[i], "%s: %q is not %s", what, s, want)
		}
	}
	return list
}

// enum reads one string of allowed.
func (l *errorList) enum(n *yaml.Node, what string, allowed []string) string {
	s := l.str(n, what)
	if s != "" && !slices.Contains(allowed, s) {
		l.at(n, "%s: unknown value %q (allowed: %s)", what, s, strings.Join(allowed, ", "))
	}
	return s
}

// stringMap reads a mapping of strings to strings.
func (l *errorList) stringMap(n *yaml.Node, what string) map[string]string {
	out := map[string]string{}
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		out[key] = l.str(v, what+": "+key)
		return true
	})
	return out
}

func (l *errorList) notEmptyMap(n *yaml.Node, what string) {
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		l.at(n, "%s: must not be empty", what)
	}
}
