package policy

import (
	"slices"
	"time"
)

// Bound reports whether role is still bound to the principal with the given
// groups and no deny rule takes it away (deny rules with conditions are
// evaluated at the given time against the principal alone). The leaver and
// mover cascades use it to re-check active grants after a directory change;
// it does not re-run the role's other checks, which were made at approval.
func (p *Policy) Bound(principalID string, groups []string, role string, at time.Time) bool {
	e := &evaluation{p: p, req: Request{
		Principal: Principal{ID: principalID, Email: principalID, Type: TypeHuman, Groups: groups},
		Time:      at.UTC(),
	}}
	e.principalKeys()
	i := slices.IndexFunc(e.candidates(), func(c candidate) bool { return c.role.name == role })
	if i < 0 {
		return false
	}
	denied, all := e.denials()
	return all == nil && deniedRole(denied, e.candidates()[i].role.index) == nil
}
