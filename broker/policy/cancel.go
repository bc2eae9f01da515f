package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CancelRequest asks whether Principal may cancel a job owned by Owner (the
// owner's principal id) running on Target. When both OwnerUserID and UserID
// (the directory user ids of the owner and of the principal) are set, they
// decide who owns the job, not the names: a user renamed by the IdP keeps
// their jobs, and whoever takes the old name does not get them.
// Justification is the reason the canceller gave: a role with
// justification_required needs one.
type CancelRequest struct {
	Principal     Principal
	UserID        string
	Owner         string
	OwnerUserID   string
	Target        Target
	Justification string
	Time          time.Time
}

// owns reports whether the request's principal owns the job.
func (req CancelRequest) owns() bool {
	if req.UserID != "" && req.OwnerUserID != "" {
		return req.UserID == req.OwnerUserID
	}
	return req.Principal.ID != "" && strings.EqualFold(req.Principal.ID, req.Owner)
}

// Reason codes of cancel decisions.
const (
	CodeCancelOwner  = "cancel_owner"   // principals may always cancel their own jobs
	CodeCancelByRole = "cancel_by_role" // a bound role with may_cancel_others covers the target
	CodeCancelDenied = "cancel_not_allowed"
)

// EvaluateCancel decides a cancel request. Owners may always cancel their own
// jobs (cancelling only removes access). Anyone else needs a bound role with
// may_cancel_others whose targets and principal types allow it and that no
// deny rule denies.
func (p *Policy) EvaluateCancel(req CancelRequest) Decision {
	if req.Time.IsZero() {
		req.Time = time.Now()
	}
	r := Request{Principal: req.Principal, Target: req.Target, Justification: req.Justification, Time: req.Time.UTC()}
	r.Target = Target{Project: strings.ToLower(r.Target.Project), Region: strings.ToLower(r.Target.Region), Cluster: strings.ToLower(r.Target.Cluster)}
	e := &evaluation{p: p, req: r}
	d := Decision{Version: p.version, Input: snapshot(&e.req)}
	d.Input["cancel_owner"] = req.Owner
	pr := &e.req.Principal
	if req.owns() {
		d.Allowed = true
		d.Reasons = []Reason{{Code: CodeCancelOwner, Message: "the principal owns the job"}}
		return d
	}
	e.principalKeys()
	denied, all := e.denials()
	if all != nil {
		d.Reasons = []Reason{all.reason("")}
		return d
	}
	for _, c := range e.candidates() {
		ro := c.role
		switch {
		case !ro.mayCancelOthers:
			continue
		case deniedRole(denied, ro.index) != nil:
			d.Reasons = append(d.Reasons, deniedRole(denied, ro.index).reason(ro.name))
		case ro.principalTypes != nil && !slices.Contains(ro.principalTypes, pr.Type):
			d.Reasons = append(d.Reasons, Reason{Code: CodePrincipalType, Role: ro.name, Message: fmt.Sprintf("principal type %q is not allowed", pr.Type)})
		case !ro.allowsTarget(e.req.Target):
			d.Reasons = append(d.Reasons, Reason{Code: CodeTarget, Role: ro.name, Message: "the job's target is outside the role's targets"})
		case ro.justification && strings.TrimSpace(e.req.Justification) == "":
			d.Reasons = append(d.Reasons, Reason{Code: CodeJustification, Role: ro.name, Message: "cancelling another's job under this role needs a reason"})
		case ro.cond != nil && !e.cancelCondition(ro, &d.Reasons):
		default:
			d.Allowed, d.Binding, d.Role = true, c.binding.String(), ro.name
			d.Reasons = append(d.Reasons, Reason{Code: CodeCancelByRole, Role: ro.name, Message: fmt.Sprintf("role %q may cancel others' jobs", ro.name)})
			return d
		}
	}
	d.Reasons = append(d.Reasons, Reason{Code: CodeCancelDenied, Message: fmt.Sprintf("%s does not own the job and no bound role may cancel others' jobs there", pr.ID)})
	return d
}

// cancelCondition evaluates the role's condition on the cancel (request.job
// is empty, request.target is the job's target, request.justification the
// reason given) and reports whether it holds; a failure to evaluate denies.
func (e *evaluation) cancelCondition(ro *role, reasons *[]Reason) bool {
	ok, err := ro.cond.eval(e.activation())
	switch {
	case err != nil:
		*reasons = append(*reasons, Reason{Code: CodeConditionError, Role: ro.name, Message: "condition failed to evaluate (denied): " + err.Error()})
	case !ok:
		*reasons = append(*reasons, Reason{Code: CodeConditionFalse, Role: ro.name, Message: "condition is false: " + ro.cond.src})
	}
	return err == nil && ok
}
