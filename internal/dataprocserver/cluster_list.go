package dataprocserver

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
)

// ListClusters implements ClusterController with the documented filter
// fields status.state (ACTIVE: CREATING or RUNNING; INACTIVE: ERROR or
// DELETING; or a state name), clusterName and labels.KEY. Only clusters the
// caller may see are listed; deleted ones are gone.
func (s *Server) ListClusters(ctx context.Context, req *dataprocpb.ListClustersRequest) (*dataprocpb.ListClustersResponse, error) {
	if err := checkLocation(req.GetProjectId(), req.GetRegion()); err != nil {
		return nil, err
	}
	clauses, err := parseFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	if err := checkFields(clauses, "status.state", "clusterName"); err != nil {
		return nil, err
	}
	clauses, groups := stateGroups(clauses)
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []*clusterRec
	for _, rec := range s.state.clusters {
		cur := s.clusterNow(rec)
		if rec.project != req.GetProjectId() || rec.region != req.GetRegion() || cur.phase == clusterGone || !s.allowed(ctx, rec.runsAs) {
			continue
		}
		if !inGroups(groups, cur.phase) {
			continue
		}
		ok, err := matches(clauses, func(field string) (string, bool, bool) {
			switch field {
			case "status.state":
				return clusterStates[cur.phase].String(), true, true
			case "clusterName":
				return rec.name, true, true
			}
			v, present := rec.cluster.GetLabels()[strings.TrimPrefix(field, "labels.")]
			return v, present, true
		})
		if err != nil {
			return nil, err
		}
		if ok {
			recs = append(recs, rec)
		}
	}
	slices.SortFunc(recs, func(a, b *clusterRec) int {
		return cmp.Or(a.created.Compare(b.created), strings.Compare(a.name, b.name))
	})
	recs, next, err := page(recs, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &dataprocpb.ListClustersResponse{NextPageToken: next}
	for _, rec := range recs {
		resp.Clusters = append(resp.Clusters, s.renderCluster(rec))
	}
	return resp, nil
}

// stateGroups takes the status.state = ACTIVE (CREATING, RUNNING) and
// INACTIVE (ERROR, DELETING) clauses out of a filter.
func stateGroups(clauses []clause) (rest []clause, groups []string) {
	for _, c := range clauses {
		if c.field == "status.state" && c.op == "=" && (strings.EqualFold(c.value, "ACTIVE") || strings.EqualFold(c.value, "INACTIVE")) {
			groups = append(groups, strings.ToUpper(c.value))
			continue
		}
		rest = append(rest, c)
	}
	return rest, groups
}

// inGroups reports whether a cluster in phase p is in every group.
func inGroups(groups []string, p clusterPhase) bool {
	for _, g := range groups {
		active := p == clusterCreating || p == clusterRunning
		if (g == "ACTIVE") != active {
			return false
		}
	}
	return true
}
