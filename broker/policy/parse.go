package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	roleName       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)
	serviceAccount = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}@([a-z0-9][a-z0-9.:-]*\.iam|developer|appspot)\.gserviceaccount\.com$`)
	jobTypes       = []string{JobSpark, JobPySpark, JobSparkSQL}
	principalTypes = []string{TypeHuman, TypeWorkload}
)

// Parse parses, checks and compiles a policy. name is used in error messages
// (usually the file path). The error, if any, joins one *Error per problem,
// each reading "name:line: message".
func Parse(name string, data []byte) (*Policy, error) {
	l := &errorList{file: name}
	if len(data) > maxFileSize {
		l.atLine(0, "policy larger than %d bytes", maxFileSize)
		return nil, l.err()
	}
	root := l.document(data)
	if root == nil {
		return nil, l.err()
	}
	p := &Policy{
		name:    name,
		version: Version(data),
		roleIdx: map[string]int{},
		byUser:  map[string][]*binding{},
		byGroup: map[string][]*binding{},

		denyByUser:  map[string][]int{},
		denyByGroup: map[string][]int{},
	}
	var rolesNode, bindingsNode, denyNode *yaml.Node
	var approvalsNode *yaml.Node
	l.fields(root, "policy", func(key string, _, v *yaml.Node) bool {
		switch key {
		case "version":
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				l.at(v, "version: only version 1 is supported")
			}
		case "roles":
			rolesNode = v
		case "bindings":
			bindingsNode = v
		case "deny":
			denyNode = v
		case "approvals":
			approvalsNode = v
		default:
			return false
		}
		return true
	})
	if rolesNode != nil { // roles first: bindings and deny rules refer to them
		l.fields(rolesNode, "roles", func(name string, k, v *yaml.Node) bool {
			if r := l.role(name, k, v, len(p.roles)); r != nil {
				p.roleIdx[r.name] = r.index
				p.roles = append(p.roles, r)
			}
			return true
		})
	}
	if bindingsNode != nil && l.kind(bindingsNode, yaml.SequenceNode, "bindings", "a list") {
		for _, n := range bindingsNode.Content {
			for _, b := range l.binding(p, n) {
				p.bindings = append(p.bindings, b)
				if b.kind == "user" {
					p.byUser[b.subject] = append(p.byUser[b.subject], b)
				} else {
					p.byGroup[b.subject] = append(p.byGroup[b.subject], b)
				}
			}
		}
	}
	if denyNode != nil && l.kind(denyNode, yaml.SequenceNode, "deny", "a list") {
		for _, n := range denyNode.Content {
			if d := l.deny(p, n); d != nil {
				p.addDeny(d)
			}
		}
	}
	if approvalsNode != nil {
		l.approvalRules(p, approvalsNode)
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// document decodes exactly one YAML document and returns its root mapping.
func (l *errorList) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.atLine(0, "empty policy")
		} else {
			l.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		l.at(&extra, "more than one YAML document")
		return nil
	case !errors.Is(err, io.EOF):
		l.yamlError(err)
		return nil
	}
	if len(doc.Content) != 1 {
		l.atLine(0, "empty policy")
		return nil
	}
	return doc.Content[0]
}

// role parses one entry of roles.
func (l *errorList) role(name string, k, v *yaml.Node, index int) *role {
	if !roleName.MatchString(name) {
		l.at(k, "role %q: names are a letter then up to 63 letters, digits, '_', '.' or '-'", name)
		return nil
	}
	r := &role{name: name, index: index, line: k.Line, maxDuration: DefaultMaxDuration, maxCredential: DefaultMaxCredentialLifetime}
	var seen []string
	errs := len(l.errs)
	l.fields(v, fmt.Sprintf("role %q", name), func(key string, _, v *yaml.Node) bool {
		what := fmt.Sprintf("role %q: %s", name, key)
		seen = append(seen, key)
		switch key {
		case "description":
			l.str(v, what)
		case "service_account":
			r.serviceAccount = l.str(v, what)
			if r.serviceAccount != "" && !serviceAccount.MatchString(r.serviceAccount) {
				l.at(v, "%s: %q is not a service account e-mail (name@project.iam.gserviceaccount.com)", what, r.serviceAccount)
			}
		case "targets":
			r.targets = l.targets(v, what)
			l.notEmpty(v, what)
		case "job_types":
			r.jobTypes = l.enumList(v, what, jobTypes)
		case "data_locations":
			l.notEmpty(v, what)
			for i, s := range l.strList(v, what) {
				loc, err := parseLocation(s)
				if err != nil {
					l.at(v.Content[i], "%s: %v", what, err)
					continue
				}
				r.locations = append(r.locations, loc)
			}
		case "max_duration":
			r.maxDuration = l.duration(v, what, MaxMaxDuration)
		case "max_credential_lifetime":
			r.maxCredential = l.duration(v, what, MaxCredentialLifetime)
		case "justification_required":
			r.justification = l.boolean(v, what)
		case "principal_types":
			r.principalTypes = l.enumList(v, what, principalTypes)
		case "condition":
			r.cond = l.condition(v, what)
		case "approval":
			r.approval = l.roleApproval(name, v, what)
		case "may_cancel_others":
			r.mayCancelOthers = l.boolean(v, what)
		case "may_read_audit":
			r.mayReadAudit = l.boolean(v, what)
		case "clusters":
			r.clusters = l.clusters(v, what)
		default:
			return false
		}
		return true
	})
	clean := len(l.errs) == errs && v.Kind == yaml.MappingNode && !auditOnly(r, seen)
	for _, req := range []string{"service_account", "targets", "job_types", "data_locations"} {
		if clean && !slices.Contains(seen, req) {
			l.at(k, "role %q: missing %s", name, req)
		}
	}
	return r
}

// targets parses a role's list of allowed targets.
func (l *errorList) targets(n *yaml.Node, what string) []targetRule {
	if !l.kind(n, yaml.SequenceNode, what, "a list") {
		return nil
	}
	var out []targetRule
	for i, e := range n.Content {
		w := fmt.Sprintf("%s[%d]", what, i)
		var t targetRule
		var project, region bool
		errs := len(l.errs)
		l.fields(e, w, func(key string, _, v *yaml.Node) bool {
			switch key {
			case "project":
				t.project, project = l.glob(v, w+": project"), true
			case "region":
				t.region, region = l.glob(v, w+": region"), true
			case "cluster":
				g := l.glob(v, w+": cluster")
				t.cluster = &g
			case "serverless":
				t.serverless = l.boolean(v, w+": serverless")
			default:
				return false
			}
			return true
		})
		if e.Kind != yaml.MappingNode || len(l.errs) != errs {
			continue
		}
		if !project || !region {
			l.at(e, "%s: project and region are required (use \"*\" to allow any)", w)
		}
		if t.cluster == nil && !t.serverless {
			l.at(e, "%s: allows nothing: set cluster (a pattern) and/or serverless: true", w)
		}
		out = append(out, t)
	}
	return out
}

func (l *errorList) glob(n *yaml.Node, what string) glob {
	s := l.str(n, what)
	if s == "" {
		return glob{}
	}
	g, err := compileGlob(s)
	if err != nil {
		l.at(n, "%s: %v", what, err)
	}
	return g
}

// enumList reads a non-empty list whose values are all in allowed.
func (l *errorList) enumList(n *yaml.Node, what string, allowed []string) []string {
	list := l.strList(n, what)
	for i, s := range list {
		if !slices.Contains(allowed, s) {
			l.at(n.Content[i], "%s: unknown value %q (allowed: %s)", what, s, strings.Join(allowed, ", "))
		}
	}
	l.notEmpty(n, what)
	return list
}

// notEmpty reports an empty list.
func (l *errorList) notEmpty(n *yaml.Node, what string) {
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		l.at(n, "%s: must not be empty", what)
	}
}

// condition compiles a CEL condition, locating CEL errors in the file.
func (l *errorList) condition(n *yaml.Node, what string) *condition {
	src := l.str(n, what)
	if src == "" {
		return nil
	}
	c, err := compileCondition(src)
	if err != nil {
		line := n.Line
		if n.Style == yaml.LiteralStyle {
			line++ // the expression starts below the '|'
			if loc := celErrorLine(err); loc > 0 {
				line += loc - 1
			}
		}
		l.atLine(line, "%s: %v", what, strings.ReplaceAll(err.Error(), "\n", "\n\t"))
		return nil
	}
	return c
}

// addDeny appends d and indexes it by the principals, else the groups, it
// names.
func (p *Policy) addDeny(d *denyRule) {
	i := len(p.denies)
	p.denies = append(p.denies, d)
	switch {
	case d.principals != nil:
		for k := range d.principals {
			p.denyByUser[k] = append(p.denyByUser[k], i)
		}
	case d.groups != nil:
		for k := range d.groups {
			p.denyByGroup[k] = append(p.denyByGroup[k], i)
		}
	default:
		p.denyAny = append(p.denyAny, i)
	}
}
