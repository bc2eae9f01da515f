package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults and bounds of approval rules.
const (
	DefaultApprovalExpiry = 24 * time.Hour
	MaxApprovalExpiry     = 7 * 24 * time.Hour
	MaxApprovalWindow     = 7 * 24 * time.Hour
	MaxApprovers          = 16 // the most distinct approvers a rule may ask for
)

// CodeApprovalRequired: the role allows the request once approvers approve
// it (Decision.Approval says who and how many); until then it is not
// allowed.
const CodeApprovalRequired = "approval_required"

// Approval is what a request needs before it may run: every requirement
// met by distinct approvers. The request waits at most ExpiresAfter. A
// Window, when every matched rule sets one, makes the approval cover the
// requester's later requests under the same role for that long.
type Approval struct {
	Requirements []ApprovalRequirement `json:"requirements"`
	ExpiresAfter time.Duration         `json:"expires_after"`
	Window       time.Duration         `json:"window,omitempty"`
}

// ApprovalRequirement is one matched rule: Count distinct members of the
// Approvers groups (lower case), never the requester nor anyone of the
// requester's chain.
type ApprovalRequirement struct {
	Rule      string   `json:"rule"` // "role:<name>", or the rule's name
	Approvers []string `json:"approvers"`
	Count     int      `json:"count"`
	Reason    string   `json:"reason,omitempty"`
}

// approvalRule is a compiled approval rule: a role's own (approval:) or a
// top-level one (approvals:), which also selects principals like a deny
// rule does.
type approvalRule struct {
	name           string // the rule id in events
	line           int
	principals     map[string]bool
	groups         map[string]bool
	principalTypes []string
	roles          map[int]bool
	cond           *condition // nil: always
	approvers      []string
	count          int
	expiresAfter   time.Duration
	window         time.Duration
	reason         string
}

// Approvals lists the approval rules by id, the roles' own first (in role
// order), then the top-level ones in file order.
func (p *Policy) Approvals() []string {
	var out []string
	for _, r := range p.roles {
		if r.approval != nil {
			out = append(out, r.approval.name)
		}
	}
	for _, a := range p.approvals {
		out = append(out, a.name)
	}
	return out
}

// approvalNeed returns what role r needs before it may allow the request,
// or nil when no approval rule applies. The rules that may apply are found
// through the role index, so that rules for other roles cost nothing; a
// condition is evaluated only when the rule's selectors match, and one
// that fails to evaluate requires approval (fail closed).
func (e *evaluation) approvalNeed(r *role) *Approval {
	p := e.p
	if r.approval == nil && len(p.approvalsAny) == 0 && len(p.approvalsByRole[r.index]) == 0 {
		return nil
	}
	var need *Approval
	add := func(a *approvalRule) {
		if !a.selects(e) || !a.applies(e) {
			return
		}
		if need == nil {
			need = &Approval{ExpiresAfter: a.expiresAfter, Window: a.window}
		}
		need.ExpiresAfter = min(need.ExpiresAfter, a.expiresAfter)
		if a.window == 0 || need.Window == 0 {
			need.Window = 0
		} else {
			need.Window = min(need.Window, a.window)
		}
		need.Requirements = append(need.Requirements, ApprovalRequirement{
			Rule: a.name, Approvers: slices.Clone(a.approvers), Count: a.count, Reason: a.reason})
	}
	if r.approval != nil {
		add(r.approval)
	}
	// The role's rules and the rules for any role, merged in file order.
	byRole, anyRole := p.approvalsByRole[r.index], p.approvalsAny
	for len(byRole)+len(anyRole) > 0 {
		var i int
		if len(anyRole) == 0 || len(byRole) > 0 && byRole[0] < anyRole[0] {
			i, byRole = byRole[0], byRole[1:]
		} else {
			i, anyRole = anyRole[0], anyRole[1:]
		}
		add(p.approvals[i])
	}
	return need
}

// selects reports whether the rule's principal selectors all match.
func (a *approvalRule) selects(e *evaluation) bool {
	if a.principals != nil && !a.principals[e.id] && !a.principals[e.email] {
		return false
	}
	if a.groups != nil && !slices.ContainsFunc(e.groups, func(g string) bool { return a.groups[g] }) {
		return false
	}
	return a.principalTypes == nil || slices.Contains(a.principalTypes, e.req.Principal.Type)
}

// applies evaluates the rule's condition; an error counts as true.
func (a *approvalRule) applies(e *evaluation) bool {
	if a.cond == nil {
		return true
	}
	ok, err := a.cond.eval(e.activation())
	return err != nil || ok
}

// reason explains the need in one reason of the decision.
func (n *Approval) reason(role string) Reason {
	parts := make([]string, len(n.Requirements))
	for i, r := range n.Requirements {
		parts[i] = fmt.Sprintf("%d of %s (%s", r.Count, strings.Join(r.Approvers, ", "), r.Rule)
		if r.Reason != "" {
			parts[i] += ": " + r.Reason
		}
		parts[i] += ")"
	}
	msg := "allowed by role " + strconv.Quote(role) + " once approved by " + strings.Join(parts, " and ") +
		"; the request waits at most " + n.ExpiresAfter.String()
	if n.Window > 0 {
		msg += "; the approval covers the requester's requests under the role for " + n.Window.String()
	}
	return Reason{Code: CodeApprovalRequired, Role: role, Message: msg}
}
