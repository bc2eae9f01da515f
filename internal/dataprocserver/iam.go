package dataprocserver

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

var (
	iamRoleRE   = regexp.MustCompile(`^(roles/|projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/roles/|organizations/[0-9]+/roles/)[A-Za-z0-9_.]+$`)
	iamMemberRE = regexp.MustCompile(`^(user|serviceAccount|group):[^\s@]+@[^\s@]+$|^domain:[a-z0-9.-]+$`)
	// timeBound is the one condition form the server evaluates, as IAM
	// Conditions write a time-bound grant.
	timeBound = regexp.MustCompile(`^request\.time < timestamp\("([^"]+)"\)$`)
)

// GetIamPolicy implements google.iam.v1.IAMPolicy for clusters
// (projects/P/regions/R/clusters/C). A policy with conditional bindings is
// only returned to a caller that asks for version 3, as IAM does.
func (s *Server) GetIamPolicy(ctx context.Context, req *iampb.GetIamPolicyRequest) (*iampb.Policy, error) {
	rec, err := s.policyCluster(ctx, "dataproc.clusters.getIamPolicy", req.GetResource(), false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := rec.currentPolicy()
	if hasConditions(p) && req.GetOptions().GetRequestedPolicyVersion() < 3 {
		return nil, invalid("The policy of %s has conditional role bindings: request policy version 3.", req.GetResource())
	}
	return p, nil
}

// SetIamPolicy implements google.iam.v1.IAMPolicy for clusters: only an
// admin may set a policy. A policy carrying an etag that is not the current
// one is refused with Aborted (a concurrent writer changed it), so that a
// read-modify-write never loses another writer's binding; conditional
// bindings need version 3 and a condition the server understands
// (request.time < timestamp("RFC 3339")).
func (s *Server) SetIamPolicy(ctx context.Context, req *iampb.SetIamPolicyRequest) (*iampb.Policy, error) {
	rec, err := s.policyCluster(ctx, "dataproc.clusters.setIamPolicy", req.GetResource(), true)
	if err != nil {
		return nil, err
	}
	p := req.GetPolicy()
	if err := checkPolicy(p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.counts.SetIamPolicy++
	if tag := p.GetEtag(); len(tag) > 0 && string(tag) != etagOf(rec.etag) {
		s.state.counts.IamConflicts++
		return nil, status.Errorf(codes.Aborted,
			"There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.")
	}
	stored := proto.Clone(p).(*iampb.Policy)
	rec.etag++
	stored.Etag = []byte(etagOf(rec.etag))
	rec.policy = stored
	return proto.Clone(stored).(*iampb.Policy), nil
}

// policyCluster finds the live cluster of an IAM resource name; setting
// needs an admin, reading the cluster's own account or an admin.
func (s *Server) policyCluster(ctx context.Context, permission, resource string, admin bool) (*clusterRec, error) {
	project, region, name, err := parseName(resource, "regions", "clusters")
	if err != nil {
		return nil, err
	}
	if admin && !s.admins[caller(ctx)] {
		return nil, status.Errorf(codes.PermissionDenied, "Permission '%s' denied on resource '%s'.", permission, resource)
	}
	return s.lookupCluster(ctx, permission, project, region, name, "")
}

// currentPolicy is a copy of the cluster's policy (empty, version 1, when
// none was set), with its etag. s.mu must be held.
func (rec *clusterRec) currentPolicy() *iampb.Policy {
	if rec.policy == nil {
		return &iampb.Policy{Version: 1, Etag: []byte(etagOf(rec.etag))}
	}
	return proto.Clone(rec.policy).(*iampb.Policy)
}

func etagOf(v int64) string { return "BwX" + strconv.FormatInt(v, 36) }

func hasConditions(p *iampb.Policy) bool {
	for _, b := range p.GetBindings() {
		if b.GetCondition() != nil {
			return true
		}
	}
	return false
}

func checkPolicy(p *iampb.Policy) error {
	if p == nil {
		return invalid("A policy is required.")
	}
	for i, b := range p.GetBindings() {
		if !iamRoleRE.MatchString(b.GetRole()) {
			return invalid("bindings[%d].role %q is not a role.", i, b.GetRole())
		}
		if len(b.GetMembers()) == 0 {
			return invalid("bindings[%d] has no members.", i)
		}
		for _, m := range b.GetMembers() {
			if !iamMemberRE.MatchString(m) {
				return invalid("bindings[%d]: member %q is not user:, serviceAccount:, group: or domain:.", i, m)
			}
		}
		c := b.GetCondition()
		if c == nil {
			continue
		}
		if p.GetVersion() != 3 {
			return invalid("bindings[%d] has a condition: the policy version must be 3.", i)
		}
		if strings.TrimSpace(c.GetTitle()) == "" || len(c.GetTitle()) > 100 {
			return invalid("bindings[%d].condition.title must be 1-100 characters.", i)
		}
		m := timeBound.FindStringSubmatch(c.GetExpression())
		if m == nil {
			return invalid("bindings[%d].condition.expression %q: only request.time < timestamp(\"...\") is supported here.", i, c.GetExpression())
		}
		if _, err := time.Parse(time.RFC3339Nano, m[1]); err != nil {
			return invalid("bindings[%d].condition.expression: %q is not an RFC 3339 timestamp.", i, m[1])
		}
	}
	return nil
}

// Bindings returns the bindings on a cluster's IAM policy that hold at
// time at (a conditional binding holds while request.time < its
// timestamp), for tests to see what IAM would honour.
func (s *Server) Bindings(resource string, at time.Time) []*iampb.Binding {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.state.clusters[resource]
	if !ok || s.clusterNow(rec).phase == clusterGone || rec.policy == nil {
		return nil
	}
	var out []*iampb.Binding
	for _, b := range rec.policy.GetBindings() {
		if c := b.GetCondition(); c != nil {
			m := timeBound.FindStringSubmatch(c.GetExpression())
			until, err := time.Parse(time.RFC3339Nano, m[1])
			if err != nil || !at.Before(until) {
				continue
			}
		}
		out = append(out, proto.Clone(b).(*iampb.Binding))
	}
	return out
}
