package policy

import (
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// caps parses the caps of a clusters section. projects, regions,
// machine_types, image_versions, max_workers and both TTL maxima are
// required; everything else defaults to the strictest setting.
func (l *errorList) caps(n *yaml.Node, what string) clusterCaps {
	c := clusterCaps{internalIPOnly: true, personalAuth: SettingAllowed, gateway: SettingForbidden, accelerators: map[string]int{}}
	var seen []string
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		w := what + ": " + key
		seen = append(seen, key)
		switch key {
		case "projects":
			c.projects = l.globs(v, w)
		case "regions":
			c.regions = l.globs(v, w)
		case "machine_types":
			c.machineTypes = l.globs(v, w)
		case "image_versions":
			c.images = l.globs(v, w)
		case "network_tags":
			c.tags = l.globs(v, w)
		case "properties":
			c.properties = l.globs(v, w)
			for i, g := range c.properties {
				if reservedProperty(strings.TrimSuffix(g.src, "*")) {
					l.at(v.Content[i], "%s: %q is set by the broker and cannot be allowed", w, g.src)
				}
			}
		case "max_workers":
			c.maxWorkers = l.count(v, w, 0, 10000)
		case "max_secondary_workers":
			c.maxSecondary = l.count(v, w, 0, 10000)
		case "accelerators":
			l.fields(v, w, func(typ string, _, v *yaml.Node) bool {
				c.accelerators[strings.ToLower(typ)] = l.count(v, w+": "+typ, 1, 16)
				return true
			})
		case "max_idle_delete_ttl":
			c.maxIdle = l.ttl(v, w)
		case "max_auto_delete_ttl":
			c.maxAuto = l.ttl(v, w)
		case "internal_ip_only":
			c.internalIPOnly = l.boolean(v, w)
		case "kms_key":
			if c.kmsKey = l.str(v, w); c.kmsKey != "" && !kmsKeyName.MatchString(c.kmsKey) {
				l.at(v, "%s: %q is not a Cloud KMS key name (projects/P/locations/L/keyRings/R/cryptoKeys/K)", w, c.kmsKey)
			}
		case "personal_auth":
			c.personalAuth = l.enum(v, w, settings)
		case "component_gateway":
			c.gateway = l.enum(v, w, settings)
		case "optional_components":
			c.components = l.pattern(v, w, componentName, "an optional component (JUPYTER, ZEPPELIN, ...)")
		default:
			return false
		}
		return true
	})
	if n.Kind == yaml.MappingNode {
		for _, req := range []string{"projects", "regions", "machine_types", "image_versions", "max_workers", "max_idle_delete_ttl", "max_auto_delete_ttl"} {
			if !slices.Contains(seen, req) {
				l.at(n, "%s: %s is required", what, req)
			}
		}
	}
	return c
}

// access parses the views a role's holders may ask for.
func (l *errorList) access(n *yaml.Node, what string, cr *clusterRules) {
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		w := what + ": " + key
		if key == "others" {
			cr.viewOthers = l.boolean(v, w)
			return true
		}
		if !slices.Contains(views, key) {
			return false
		}
		av := accessView{}
		l.fields(v, w, func(k string, _, v *yaml.Node) bool {
			switch k {
			case "iam_role":
				if av.iamRole = l.str(v, w+": iam_role"); av.iamRole != "" && !iamRoleName.MatchString(av.iamRole) {
					l.at(v, "%s: iam_role: %q is not an IAM role (roles/..., projects/P/roles/..., organizations/O/roles/...)", w, av.iamRole)
				}
			case "max_duration":
				av.maxDuration = l.duration(v, w+": max_duration", 7*24*time.Hour)
			default:
				return false
			}
			return true
		})
		if v.Kind == yaml.MappingNode && (av.iamRole == "" || av.maxDuration == 0) {
			l.at(v, "%s: iam_role and max_duration are required", w)
		}
		cr.access[key] = av
		return true
	})
}
