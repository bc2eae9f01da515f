package policy

import (
	"slices"
	"time"
)

// A role with may_read_audit: true lets its holders read the audit trail
// on the timeline page. A role may be only that (a description and
// may_read_audit, no job fields): it then approves no job, since no
// target is allowed.

// auditOnly reports whether the role's fields are only the audit
// capability (and a description): such a role needs no job fields.
func auditOnly(r *role, seen []string) bool {
	if !r.mayReadAudit {
		return false
	}
	for _, k := range seen {
		if k != "may_read_audit" && k != "description" {
			return false
		}
	}
	return true
}

// MayReadAudit reports whether the principal holds a role with
// may_read_audit that no deny rule takes away (deny rules with conditions
// are evaluated at the given time against the principal alone, as Bound
// does), and names that role. The role's principal_types apply.
func (p *Policy) MayReadAudit(pr Principal, at time.Time) (role string, ok bool) {
	e := &evaluation{p: p, req: Request{Principal: pr, Time: at.UTC()}}
	e.principalKeys()
	denied, all := e.denials()
	if all != nil {
		return "", false
	}
	for _, c := range e.candidates() {
		r := c.role
		if !r.mayReadAudit || deniedRole(denied, r.index) != nil {
			continue
		}
		if len(r.principalTypes) > 0 && !slices.Contains(r.principalTypes, pr.Type) {
			continue
		}
		return r.name, true
	}
	return "", false
}
