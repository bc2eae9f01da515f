package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/common/types"
)

// candidate is a role bound to the principal, with the first binding (in
// file order) that grants it.
type candidate struct {
	role    *role
	binding *binding
}

// evaluation is the state of one Evaluate call. It is allocated once per
// call; the snapshot in Decision.Input points into it.
type evaluation struct {
	p         *Policy
	req       Request // normalised copy: lower-case target, UTC time
	act       activation
	actSet    bool
	target    string // the target, described for messages
	fetchKeys string // properties that would fetch code, quoted
	fetchSet  bool
	all       bool // report every failed check (Explain), not only the first

	// the principal's lower-cased id, e-mail and groups
	id, email string
	groups    []string

	// buffers that spare allocations in the common case
	groupBuf [4]string
	candBuf  [4]candidate
	denyBuf  [4]int
}

// Evaluate decides req. The default is deny: the request is allowed only by a
// role bound to the principal (the requested one, or else the first in file
// order) whose every check passes and which no deny rule denies. The
// Decision explains every role tried with the first check it failed.
func (p *Policy) Evaluate(req Request) Decision { return p.evaluate(req, false) }

// Explain is Evaluate reporting every failed check of every role tried (for
// `iis policy explain`). It reaches the same decision.
func (p *Policy) Explain(req Request) Decision { return p.evaluate(req, true) }

func (p *Policy) evaluate(in Request, explain bool) Decision {
	e := &evaluation{p: p, req: in, all: explain}
	req := &e.req
	if req.Time.IsZero() {
		req.Time = time.Now()
	}
	req.Time = req.Time.UTC()
	req.Target = Target{
		Project: strings.ToLower(req.Target.Project),
		Region:  strings.ToLower(req.Target.Region),
		Cluster: strings.ToLower(req.Target.Cluster),
	}
	d := Decision{Version: p.version, Input: snapshot(req)}
	pr := &req.Principal
	if strings.TrimSpace(pr.ID) == "" || (pr.Type != TypeHuman && pr.Type != TypeWorkload) {
		d.Reasons = []Reason{{Code: CodePrincipalInvalid, Message: fmt.Sprintf("principal id %q of type %q cannot be evaluated", pr.ID, pr.Type)}}
		return d
	}
	e.principalKeys()
	cands := e.candidates()
	if len(cands) == 0 {
		d.Reasons = []Reason{{Code: CodeNoBinding, Message: fmt.Sprintf("no role is bound to %s or its groups", pr.ID)}}
		return d
	}
	if req.Role != "" {
		i := slices.IndexFunc(cands, func(c candidate) bool { return c.role.name == req.Role })
		if i < 0 {
			d.Reasons = []Reason{{Code: CodeRoleNotBound, Role: req.Role, Message: fmt.Sprintf("role %q is not bound to %s or its groups", req.Role, pr.ID)}}
			return d
		}
		cands = cands[i : i+1]
	}
	denied, all := e.denials()
	if all != nil {
		d.Reasons = []Reason{all.reason("")}
		return d
	}
	d.Reasons = make([]Reason, 0, len(cands)+1)
	for _, c := range cands {
		if rule := deniedRole(denied, c.role.index); rule != nil {
			d.Reasons = append(d.Reasons, rule.reason(c.role.name))
			continue
		}
		if !e.check(c.role, &d.Reasons) {
			continue
		}
		d.Allowed = true
		d.Binding = c.binding.String()
		d.Role = c.role.name
		d.ServiceAccount = c.role.serviceAccount
		d.MaxDuration = cmp.Or(req.MaxDuration, c.role.maxDuration)
		d.CredentialLifetime = min(c.role.maxCredential, d.MaxDuration)
		if need := e.approvalNeed(c.role); need != nil {
			// Allowed once approved: not allowed yet.
			d.Allowed, d.Approval = false, need
			d.Reasons = append(d.Reasons, need.reason(c.role.name))
			return d
		}
		d.Reasons = append(d.Reasons, Reason{Code: CodeAllowed, Role: c.role.name,
			Message: "allowed by role " + strconv.Quote(c.role.name) + " through binding " + d.Binding})
		return d
	}
	return d
}

// principalKeys folds the principal's id, e-mail and groups to lower case
// once for the index lookups.
func (e *evaluation) principalKeys() {
	pr := &e.req.Principal
	e.id = strings.ToLower(pr.ID)
	if email := strings.ToLower(pr.Email); email != e.id {
		e.email = email
	}
	e.groups = e.groupBuf[:0]
	for _, g := range pr.Groups {
		e.groups = append(e.groups, strings.ToLower(g))
	}
}

// candidates lists the roles bound to the principal, by user (id or e-mail)
// or group, in role order. It reads only the principal's index entries.
func (e *evaluation) candidates() []candidate {
	p := e.p
	out := e.candBuf[:0]
	add := func(bs []*binding) {
		for _, b := range bs {
			out = append(out, candidate{role: p.roles[b.role], binding: b})
		}
	}
	add(p.byUser[e.id])
	if e.email != "" {
		add(p.byUser[e.email])
	}
	for _, g := range e.groups {
		add(p.byGroup[g])
	}
	if len(out) < 2 {
		return out
	}
	slices.SortFunc(out, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.role.index, b.role.index), cmp.Compare(a.binding.line, b.binding.line))
	})
	return slices.CompactFunc(out, func(a, b candidate) bool { return a.role == b.role })
}

// activation returns the CEL variables, built on first use.
func (e *evaluation) activation() *activation {
	if !e.actSet {
		e.act = activation{request: &e.req, principal: &e.req.Principal, time: types.Timestamp{Time: e.req.Time}}
		e.actSet = true
	}
	return &e.act
}

// denials evaluates the deny rules that may apply to the principal (found
// through the index), once per request: it returns the rules that match, and
// the first matching rule that covers all roles, if any. A condition that
// fails to evaluate counts as a match (fail closed).
func (e *evaluation) denials() (matched []*denyRule, all *denyRule) {
	p := e.p
	idx := p.denyAny
	if len(p.denyByUser)+len(p.denyByGroup) > 0 {
		idx = append(e.denyBuf[:0], idx...)
		idx = append(idx, p.denyByUser[e.id]...)
		if e.email != "" {
			idx = append(idx, p.denyByUser[e.email]...)
		}
		for _, g := range e.groups {
			idx = append(idx, p.denyByGroup[g]...)
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
	}
	for _, i := range idx {
		r := p.denies[i]
		if !r.selects(e) {
			continue
		}
		if r.cond != nil {
			ok, err := r.cond.eval(e.activation())
			if err == nil && !ok {
				continue
			}
		}
		if len(r.roles) == 0 {
			return nil, r
		}
		matched = append(matched, r)
	}
	return matched, nil
}

// selects reports whether the rule's principal selectors all match.
func (r *denyRule) selects(e *evaluation) bool {
	if r.principals != nil && !r.principals[e.id] && !r.principals[e.email] {
		return false
	}
	if r.groups != nil && !slices.ContainsFunc(e.groups, func(g string) bool { return r.groups[g] }) {
		return false
	}
	return r.principalTypes == nil || slices.Contains(r.principalTypes, e.req.Principal.Type)
}

func (r *denyRule) reason(role string) Reason {
	msg := fmt.Sprintf("denied by rule %q (line %d)", r.name, r.line)
	if r.message != "" {
		msg += ": " + r.message
	}
	return Reason{Code: CodeDenied, Role: role, Message: msg}
}

func deniedRole(matched []*denyRule, role int) *denyRule {
	for _, r := range matched {
		if r.roles[role] {
			return r
		}
	}
	return nil
}
