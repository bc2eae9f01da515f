package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AccessRequest asks for time-bound access to the logs or UIs of one
// cluster the broker created. Owner is the principal id of the cluster's
// owner; Duration zero asks for the role's longest.
type AccessRequest struct {
	Principal     Principal     `json:"-"`
	Owner         string        `json:"owner"`
	Project       string        `json:"project"`
	Region        string        `json:"region"`
	Cluster       string        `json:"cluster"`
	View          string        `json:"view"`
	Duration      time.Duration `json:"duration"`
	Justification string        `json:"justification,omitempty"`
	Time          time.Time     `json:"time"`
}

// AccessDecision is the outcome of EvaluateAccess: on approval, the IAM
// role to bind on the cluster and until when.
type AccessDecision struct {
	Allowed   bool           `json:"allowed"`
	Reasons   []Reason       `json:"reasons"`
	Binding   string         `json:"binding,omitempty"`
	Role      string         `json:"role,omitempty"`
	IAMRole   string         `json:"iam_role,omitempty"`
	Duration  time.Duration  `json:"duration,omitempty"`
	ExpiresAt time.Time      `json:"expires_at,omitzero"`
	Version   string         `json:"policy_version"`
	Input     map[string]any `json:"input"`
}

// Reason codes of access decisions.
const (
	CodeAccessView     = "access_view_not_allowed"  // no bound role grants the view
	CodeAccessOwner    = "access_not_owner"         // the cluster is another principal's and the role may not view others'
	CodeAccessDuration = "access_duration_exceeded" // longer than the role's max_duration for the view
	CodeAccessLocation = "access_location_not_allowed"
)

// EvaluateAccess decides an access request. A role allows it when it is
// bound to the principal, its clusters section grants the view, the
// cluster is the principal's own (or the role may view others'), lies in
// the role's cluster projects and regions, and the duration is within the
// view's max_duration; deny rules, principal types, justification and the
// role's condition (with request.target the cluster and request.job empty)
// apply as for jobs.
func (p *Policy) EvaluateAccess(req AccessRequest) AccessDecision {
	if req.Time.IsZero() {
		req.Time = time.Now()
	}
	req.Time = req.Time.UTC()
	e := &evaluation{p: p, req: Request{Principal: req.Principal, Justification: req.Justification, Time: req.Time,
		Target: Target{Project: strings.ToLower(req.Project), Region: strings.ToLower(req.Region), Cluster: strings.ToLower(req.Cluster)}}}
	d := AccessDecision{Version: p.version, Input: map[string]any{"principal": &e.req.Principal, "access_request": &req}}
	pr := &e.req.Principal
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
	denied, all := e.denials()
	if all != nil {
		d.Reasons = []Reason{all.reason("")}
		return d
	}
	own := strings.EqualFold(pr.ID, req.Owner)
	for _, c := range cands {
		r := c.role
		fail := func(code, msg string) { d.Reasons = append(d.Reasons, Reason{Code: code, Role: r.name, Message: msg}) }
		var view accessView
		var ok bool
		if r.clusters != nil {
			view, ok = r.clusters.access[req.View]
		}
		switch {
		case !ok:
			fail(CodeAccessView, fmt.Sprintf("role %q grants no %s access", r.name, req.View))
		case deniedRole(denied, r.index) != nil:
			d.Reasons = append(d.Reasons, deniedRole(denied, r.index).reason(r.name))
		case r.principalTypes != nil && !slices.Contains(r.principalTypes, pr.Type):
			fail(CodePrincipalType, "principal type "+strconv.Quote(pr.Type)+" is not allowed")
		case !own && !r.clusters.viewOthers:
			fail(CodeAccessOwner, fmt.Sprintf("the cluster is %s's; role %q may view only its holder's own clusters", req.Owner, r.name))
		case !anyGlob(r.clusters.caps.projects, e.req.Target.Project) || !anyGlob(r.clusters.caps.regions, e.req.Target.Region):
			fail(CodeAccessLocation, fmt.Sprintf("the cluster's project %q and region %q are outside the role's cluster caps", req.Project, req.Region))
		case req.Duration < 0 || req.Duration > view.maxDuration:
			fail(CodeAccessDuration, fmt.Sprintf("requested %s exceeds the role's %s for view %s", req.Duration, view.maxDuration, req.View))
		case r.justification && strings.TrimSpace(req.Justification) == "":
			fail(CodeJustification, "a justification is required")
		case r.cond != nil && !e.cancelCondition(r, &d.Reasons):
		default:
			if msg := e.approvalRefusal(r, "access"); msg != "" {
				// Allowed only once approved, as a job would be: not allowed.
				fail(CodeClusterApproval, msg)
				return d
			}
			d.Allowed, d.Binding, d.Role, d.IAMRole = true, c.binding.String(), r.name, view.iamRole
			d.Duration = req.Duration
			if d.Duration == 0 {
				d.Duration = view.maxDuration
			}
			// IAM Conditions compare timestamps to the second: the grant ends
			// at the second its condition says, never later.
			d.ExpiresAt = req.Time.Add(d.Duration).Truncate(time.Second)
			d.Reasons = append(d.Reasons, Reason{Code: CodeAllowed, Role: r.name,
				Message: fmt.Sprintf("allowed by role %q through binding %s: %s on the cluster for %s", r.name, d.Binding, view.iamRole, d.Duration)})
			return d
		}
	}
	return d
}
