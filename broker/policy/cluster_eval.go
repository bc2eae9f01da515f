package policy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/events"
)

// EvaluateCluster decides a cluster request with the same bindings, roles,
// deny rules and conditions as job requests. A role allows it when it has a
// clusters section with the template, the template with the request's
// changes lies within every cap, the principal has fewer clusters than
// max_clusters, and the role's checks that apply (principal types,
// justification, the role's condition with an empty request.job, the
// clusters condition) pass. Deny by default; roles are tried in file order.
func (p *Policy) EvaluateCluster(req ClusterRequest) ClusterDecision {
	return p.evaluateCluster(req, false)
}

// ExplainCluster is EvaluateCluster reporting every failed check of every
// role tried (for `iis policy explain`). It reaches the same decision.
func (p *Policy) ExplainCluster(req ClusterRequest) ClusterDecision {
	return p.evaluateCluster(req, true)
}

func (p *Policy) evaluateCluster(req ClusterRequest, explain bool) ClusterDecision {
	if req.Time.IsZero() {
		req.Time = time.Now()
	}
	req.Time = req.Time.UTC()
	req.Project, req.Region = strings.ToLower(req.Project), strings.ToLower(req.Region)
	e := &evaluation{p: p, all: explain, req: Request{Principal: req.Principal, Role: req.Role,
		Target: Target{Project: req.Project, Region: req.Region}, Justification: req.Justification, Time: req.Time}}
	d := ClusterDecision{Version: p.version, Input: clusterSnapshot(&req)}
	pr := &e.req.Principal
	if strings.TrimSpace(pr.ID) == "" || (pr.Type != TypeHuman && pr.Type != TypeWorkload) {
		d.Reasons = []ClusterReason{{Code: CodePrincipalInvalid, Message: fmt.Sprintf("principal id %q of type %q cannot be evaluated", pr.ID, pr.Type)}}
		return d
	}
	e.principalKeys()
	cands := e.candidates()
	if len(cands) == 0 {
		d.Reasons = []ClusterReason{{Code: CodeNoBinding, Message: fmt.Sprintf("no role is bound to %s or its groups", pr.ID)}}
		return d
	}
	if req.Role != "" {
		i := slices.IndexFunc(cands, func(c candidate) bool { return c.role.name == req.Role })
		if i < 0 {
			d.Reasons = []ClusterReason{{Code: CodeRoleNotBound, Role: req.Role, Message: fmt.Sprintf("role %q is not bound to %s or its groups", req.Role, pr.ID)}}
			return d
		}
		cands = cands[i : i+1]
	}
	denied, all := e.denials()
	if all != nil {
		d.Reasons = []ClusterReason{clusterReason(all.reason(""))}
		return d
	}
	for _, c := range cands {
		if rule := deniedRole(denied, c.role.index); rule != nil {
			d.Reasons = append(d.Reasons, clusterReason(rule.reason(c.role.name)))
			continue
		}
		spec, ok := e.checkCluster(c.role, &req, &d.Reasons)
		if !ok {
			continue
		}
		if msg := e.approvalRefusal(c.role, "cluster"); msg != "" {
			// Allowed only once approved, as a job would be: not allowed.
			d.Reasons = append(d.Reasons, ClusterReason{Code: CodeClusterApproval, Role: c.role.name, Field: "role", Cap: "approval", Message: msg})
			return d
		}
		d.Allowed, d.Binding, d.Role, d.Template = true, c.binding.String(), c.role.name, req.Template
		d.ServiceAccount, d.Spec, d.CredentialLifetime = c.role.serviceAccount, spec, c.role.maxCredential
		d.Reasons = append(d.Reasons, ClusterReason{Code: CodeAllowed, Role: c.role.name,
			Message: "allowed by role " + strconv.Quote(c.role.name) + " through binding " + d.Binding})
		return d
	}
	return d
}

// checkCluster runs role r's cluster checks and returns the whole
// configuration asked for and whether r allows it.
func (e *evaluation) checkCluster(r *role, req *ClusterRequest, reasons *[]ClusterReason) (ClusterSpec, bool) {
	failed := false
	fail := func(code, field, cap, msg string) bool {
		*reasons = append(*reasons, ClusterReason{Code: code, Role: r.name, Field: field, Cap: cap, Message: msg})
		failed = true
		return !e.all
	}
	cr := r.clusters
	if cr == nil {
		fail(CodeClusterNotAllowed, "", "", "role "+strconv.Quote(r.name)+" allows no clusters")
		return ClusterSpec{}, false
	}
	t, ok := cr.templates[req.Template]
	if !ok {
		fail(CodeClusterTemplate, "template", "templates: "+listOrNone(cr.names),
			fmt.Sprintf("template %q is not among the role's", req.Template))
		return ClusterSpec{}, false
	}
	if r.principalTypes != nil && !slices.Contains(r.principalTypes, e.req.Principal.Type) &&
		fail(CodePrincipalType, "", "principal_types: "+strings.Join(r.principalTypes, ", "), "principal type "+strconv.Quote(e.req.Principal.Type)+" is not allowed") {
		return ClusterSpec{}, false
	}
	spec := t.spec.clone()
	if req.Project != "" {
		spec.Project = req.Project
	}
	if req.Region != "" {
		spec.Region = req.Region
	}
	for _, b := range applyConfig(&spec, req.Config) {
		if fail(b.Code, b.Field, b.Cap, b.Message) {
			return spec, false
		}
	}
	if sa := req.Config.ServiceAccount; sa != "" && !strings.EqualFold(sa, r.serviceAccount) {
		if fail(CodeClusterServiceAccount, "config.service_account", "the role's service_account "+r.serviceAccount,
			fmt.Sprintf("the VMs run as the role's service account, not %q", sa)) {
			return spec, false
		}
	}
	spec.ServiceAccount = r.serviceAccount
	if cr.caps.check(&spec, fail) {
		return spec, false
	}
	for _, k := range slices.Sorted(maps.Keys(req.Labels)) {
		if strings.HasPrefix(k, "iis-") || strings.HasPrefix(k, "goog-") {
			if fail(CodeClusterLabel, "labels["+strconv.Quote(k)+"]", "labels starting iis- or goog- are reserved", "label "+strconv.Quote(k)+" is reserved") {
				return spec, false
			}
		}
	}
	if req.ActiveClusters >= cr.maxClusters && fail(CodeClusterLimit, "", "max_clusters: "+strconv.Itoa(cr.maxClusters),
		fmt.Sprintf("%s already has %d cluster(s); the role allows %d at a time", e.req.Principal.ID, req.ActiveClusters, cr.maxClusters)) {
		return spec, false
	}
	if r.justification && strings.TrimSpace(req.Justification) == "" && fail(CodeJustification, "justification", "justification_required", "a justification is required") {
		return spec, false
	}
	if failed {
		return spec, false
	}
	for _, c := range []struct {
		cond    *condition
		cluster bool
	}{{r.cond, false}, {cr.cond, true}} {
		if c.cond == nil {
			continue
		}
		var ok bool
		var err error
		if c.cluster {
			ok, err = c.cond.evalCluster(e.activation(), &spec)
		} else {
			ok, err = c.cond.eval(e.activation())
		}
		switch {
		case err != nil:
			fail(CodeConditionError, "", "", "condition failed to evaluate (denied): "+err.Error())
		case !ok:
			fail(CodeConditionFalse, "", "", "condition is false: "+c.cond.src)
		}
		if failed {
			return spec, false
		}
	}
	return spec, true
}

func clusterReason(r Reason) ClusterReason {
	return ClusterReason{Code: r.Code, Role: r.Role, Message: r.Message}
}

// clusterSnapshot is the input of a cluster decision: {"principal",
// "cluster_request"} with secret-looking property values redacted.
func clusterSnapshot(req *ClusterRequest) map[string]any {
	r := *req
	r.Config.Properties = events.RedactProperties(r.Config.Properties)
	return map[string]any{"principal": &r.Principal, "cluster_request": &r}
}

// Template returns the spec of a role's template (with the role's service
// account), for `iis policy explain`; ok is false when there is none.
func (p *Policy) Template(role, template string) (ClusterSpec, bool) {
	i, ok := p.roleIdx[role]
	if !ok || p.roles[i].clusters == nil {
		return ClusterSpec{}, false
	}
	t, ok := p.roles[i].clusters.templates[template]
	if !ok {
		return ClusterSpec{}, false
	}
	s := t.spec.clone()
	s.ServiceAccount = p.roles[i].serviceAccount
	return s, true
}
