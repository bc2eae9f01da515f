package policy

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// binding parses one entry of bindings: a user or a group, and a role or a
// list of roles. It returns one binding per role.
func (l *errorList) binding(p *Policy, n *yaml.Node) []*binding {
	what := fmt.Sprintf("bindings (line %d)", n.Line)
	var kind, subject string
	var roles []*yaml.Node
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		switch key {
		case "user", "group":
			if kind != "" {
				l.at(v, "%s: set either user or group, not both", what)
			}
			kind, subject = key, strings.ToLower(strings.TrimSpace(l.str(v, what+": "+key)))
		case "role":
			roles = append(roles, v)
		case "roles":
			if l.kind(v, yaml.SequenceNode, what+": roles", "a list") {
				roles = append(roles, v.Content...)
			}
		case "description":
			l.str(v, what+": description")
		default:
			return false
		}
		return true
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if kind == "" {
		l.at(n, "%s: user or group is required", what)
	}
	if len(roles) == 0 {
		l.at(n, "%s: role is required", what)
	}
	var out []*binding
	for _, rn := range roles {
		name := l.str(rn, what+": role")
		if name == "" {
			continue
		}
		idx, ok := p.roleIdx[name]
		if !ok {
			l.at(rn, "%s: unknown role %q", what, name)
			continue
		}
		if subject != "" {
			out = append(out, &binding{kind: kind, subject: subject, name: kind + ":" + subject, role: idx, line: rn.Line})
		}
	}
	return out
}

// deny parses one explicit deny rule.
func (l *errorList) deny(p *Policy, n *yaml.Node) *denyRule {
	d := &denyRule{line: n.Line}
	what := fmt.Sprintf("deny (line %d)", n.Line)
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		w := what + ": " + key
		switch key {
		case "name":
			d.name = l.str(v, w)
			what = fmt.Sprintf("deny %q", d.name)
		case "message":
			d.message = l.str(v, w)
		case "description":
			l.str(v, w)
		case "principals":
			d.principals = lowerSet(l.nonEmptyList(v, w))
		case "groups":
			d.groups = lowerSet(l.nonEmptyList(v, w))
		case "principal_types":
			d.principalTypes = l.enumList(v, w, principalTypes)
		case "roles":
			d.roles = map[int]bool{}
			for i, name := range l.nonEmptyList(v, w) {
				idx, ok := p.roleIdx[name]
				if !ok {
					l.at(v.Content[i], "%s: unknown role %q", w, name)
				}
				d.roles[idx] = ok
			}
		case "condition":
			d.cond = l.condition(v, w)
		default:
			return false
		}
		return true
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if d.name == "" {
		d.name = fmt.Sprintf("line %d", n.Line)
	}
	return d
}

// nonEmptyList reads a list that must not be empty: an empty selector would
// silently widen a deny rule to everyone.
func (l *errorList) nonEmptyList(n *yaml.Node, what string) []string {
	list := l.strList(n, what)
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		l.at(n, "%s: must not be empty (omit the field to match any)", what)
	}
	return list
}

func lowerSet(list []string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[strings.ToLower(strings.TrimSpace(s))] = true
	}
	return m
}
