package policy

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var ruleName = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// roleApproval parses a role's approval: key, the rule every request the
// role allows must satisfy (when its condition, if any, holds).
func (l *errorList) roleApproval(role string, n *yaml.Node, what string) *approvalRule {
	a := &approvalRule{name: "role:" + role, line: n.Line}
	errs := len(l.errs)
	l.fields(n, what, func(key string, _, v *yaml.Node) bool {
		return l.approvalField(a, key, v, what+": "+key)
	})
	return l.finishApproval(a, n, what, errs)
}

// approvalRules parses the top-level approvals: list. Each rule selects
// requests like a deny rule (principals, groups, principal types, roles,
// condition; every selector it sets must match) and asks for approvers.
func (l *errorList) approvalRules(p *Policy, n *yaml.Node) {
	if !l.kind(n, yaml.SequenceNode, "approvals", "a list") {
		return
	}
	names := map[string]int{}
	for _, e := range n.Content {
		a := &approvalRule{line: e.Line}
		what := fmt.Sprintf("approvals (line %d)", e.Line)
		errs := len(l.errs)
		l.fields(e, what, func(key string, _, v *yaml.Node) bool {
			w := what + ": " + key
			switch key {
			case "name":
				a.name = l.str(v, w)
				if a.name != "" && !ruleName.MatchString(a.name) {
					l.at(v, "%s: %q: names are a lower-case letter then up to 63 of a-z, 0-9, '_', '.' or '-'", w, a.name)
				}
				if line, dup := names[a.name]; dup && a.name != "" {
					l.at(v, "%s: %q is already the name of the rule at line %d", w, a.name, line)
				}
				names[a.name] = e.Line
				what = fmt.Sprintf("approvals %q", a.name)
			case "principals":
				a.principals = lowerSet(l.nonEmptyList(v, w))
			case "groups":
				a.groups = lowerSet(l.nonEmptyList(v, w))
			case "principal_types":
				a.principalTypes = l.enumList(v, w, principalTypes)
			case "roles":
				a.roles = map[int]bool{}
				for i, name := range l.nonEmptyList(v, w) {
					idx, ok := p.roleIdx[name]
					if !ok {
						l.at(v.Content[i], "%s: unknown role %q", w, name)
						continue
					}
					a.roles[idx] = true
				}
			default:
				return l.approvalField(a, key, v, w)
			}
			return true
		})
		if e.Kind == yaml.MappingNode && a.name == "" && len(l.errs) == errs {
			l.at(e, "%s: name is required (approvals name the rule that asked for them)", what)
		}
		if a = l.finishApproval(a, e, what, errs); a != nil {
			p.addApproval(a)
		}
	}
}

// approvalField reads a field both kinds of rule have.
func (l *errorList) approvalField(a *approvalRule, key string, v *yaml.Node, what string) bool {
	switch key {
	case "approvers":
		l.notEmpty(v, what)
		for _, g := range l.strList(v, what) {
			a.approvers = append(a.approvers, strings.ToLower(strings.TrimSpace(g)))
		}
	case "count":
		a.count = l.integer(v, what, 1, MaxApprovers)
	case "expires_after":
		a.expiresAfter = l.duration(v, what, MaxApprovalExpiry)
	case "window":
		a.window = l.duration(v, what, MaxApprovalWindow)
	case "condition":
		a.cond = l.condition(v, what)
	case "reason", "message":
		a.reason = l.str(v, what)
	case "description":
		l.str(v, what)
	default:
		return false
	}
	return true
}

// finishApproval applies the defaults and checks what a rule needs. It
// returns nil if the rule had errors.
func (l *errorList) finishApproval(a *approvalRule, n *yaml.Node, what string, errs int) *approvalRule {
	if n.Kind != yaml.MappingNode || len(l.errs) != errs {
		return nil
	}
	if len(a.approvers) == 0 {
		l.at(n, "%s: approvers (the groups that may approve) is required", what)
		return nil
	}
	if a.count == 0 {
		a.count = 1
	}
	if a.expiresAfter == 0 {
		a.expiresAfter = DefaultApprovalExpiry
	}
	return a
}

// integer reads an integer within [lo, hi].
func (l *errorList) integer(n *yaml.Node, what string, lo, hi int) int {
	if !l.kind(n, yaml.ScalarNode, what, "a number") {
		return 0
	}
	var v int
	if n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		l.at(n, "%s: expected a whole number, got %q", what, n.Value)
		return 0
	}
	if v < lo || v > hi {
		l.at(n, "%s: %d is outside %d-%d", what, v, lo, hi)
		return 0
	}
	return v
}

// addApproval appends a top-level rule and indexes it by the roles it
// names, so that evaluating a role reads only its own rules and the rules
// for any role.
func (p *Policy) addApproval(a *approvalRule) {
	i := len(p.approvals)
	p.approvals = append(p.approvals, a)
	if len(a.roles) == 0 {
		p.approvalsAny = append(p.approvalsAny, i)
		return
	}
	if p.approvalsByRole == nil {
		p.approvalsByRole = map[int][]int{}
	}
	for r := range a.roles {
		p.approvalsByRole[r] = append(p.approvalsByRole[r], i)
	}
}
