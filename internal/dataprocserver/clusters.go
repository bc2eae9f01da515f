package dataprocserver

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var clusterNameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,49}[a-z0-9])?$`)

// Dataproc's bounds on lifecycle TTLs.
const (
	minTTLCluster = 10 * time.Minute
	maxTTLCluster = 14 * 24 * time.Hour
)

func clusterName(project, region, name string) string {
	return fmt.Sprintf("projects/%s/regions/%s/clusters/%s", project, region, name)
}

// CreateCluster implements ClusterController. The caller must be the VMs'
// service account (as iam.serviceAccounts.actAs requires) or an admin. A
// request_id seen before in the project and region returns the first
// creation's operation; a name in use fails with AlreadyExists; more live
// clusters than the quota fails with ResourceExhausted.
func (s *Server) CreateCluster(ctx context.Context, req *dataprocpb.CreateClusterRequest) (*longrunningpb.Operation, error) {
	project, region := req.GetProjectId(), req.GetRegion()
	if err := checkLocation(project, region); err != nil {
		return nil, err
	}
	if err := checkRequestID(req.GetRequestId()); err != nil {
		return nil, err
	}
	c := req.GetCluster()
	if err := checkCluster(c, project); err != nil {
		return nil, err
	}
	runsAs := c.GetConfig().GetGceClusterConfig().GetServiceAccount()
	if runsAs == "" {
		runsAs = s.defSA
	}
	if runsAs == "" {
		return nil, invalid("config.gce_cluster_config.service_account is required (no default service account).")
	}
	if err := s.authorize(ctx, "dataproc.clusters.create", runsAs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.counts.CreateCluster++
	reqKey := jobKey(project, region, req.GetRequestId())
	if req.GetRequestId() != "" {
		if rec, ok := s.state.clusterReqs[reqKey]; ok {
			return s.renderClusterOp(rec, rec.createOp)
		}
	}
	name := clusterName(project, region, c.GetClusterName())
	if old, ok := s.state.clusters[name]; ok && s.clusterNow(old).phase != clusterGone {
		return nil, status.Errorf(codes.AlreadyExists, "Already exists: Failed to create cluster: Cluster %s", name)
	}
	if s.clusterQuota > 0 && s.liveClusters(project, region) >= s.clusterQuota {
		return nil, status.Errorf(codes.ResourceExhausted,
			"Insufficient 'CLUSTERS' quota. Requested 1.0, available 0.0 in region %s (%d live clusters).", region, s.clusterQuota)
	}
	now := s.clock.Now()
	stored := proto.Clone(c).(*dataprocpb.Cluster)
	stored.ProjectId = project
	stored.ClusterUuid = newUUID()
	stored.Status, stored.StatusHistory = nil, nil
	rec := &clusterRec{cluster: stored, project: project, region: region, name: c.GetClusterName(), runsAs: runsAs,
		requestID: req.GetRequestId(), created: now, timing: s.clusterTiming,
		createOp: operationName(project, region, newUUID())}
	lc := c.GetConfig().GetLifecycleConfig()
	rec.idleTTL = lc.GetIdleDeleteTtl().AsDuration()
	switch {
	case lc.GetAutoDeleteTime() != nil:
		rec.autoAt = lc.GetAutoDeleteTime().AsTime()
	case lc.GetAutoDeleteTtl() != nil:
		rec.autoAt = now.Add(lc.GetAutoDeleteTtl().AsDuration())
	}
	if s.clusterFailure != nil {
		rec.failure = s.clusterFailure(Workload{Kind: "cluster", Project: project, Region: region, ID: rec.name,
			ServiceAccount: runsAs, Labels: stored.GetLabels()})
	}
	s.state.clusters[name] = rec
	s.state.ops[rec.createOp] = opRec{project: project, region: region, cluster: rec}
	if req.GetRequestId() != "" {
		s.state.clusterReqs[reqKey] = rec
		s.state.createdFor[req.GetRequestId()]++
	}
	s.state.counts.ClustersCreated++
	return s.renderClusterOp(rec, rec.createOp)
}

// checkCluster validates what CreateCluster needs of a cluster.
func checkCluster(c *dataprocpb.Cluster, project string) error {
	switch {
	case c == nil || c.GetConfig() == nil:
		return invalid("A cluster and its config are required.")
	case !clusterNameRE.MatchString(c.GetClusterName()):
		return invalid("Cluster name %q must start with a lowercase letter and hold up to 51 lowercase letters, digits or hyphens.", c.GetClusterName())
	case c.GetProjectId() != "" && c.GetProjectId() != project:
		return invalid("Cluster project %q does not match the request's project %q.", c.GetProjectId(), project)
	}
	if err := checkLabels(c.GetLabels()); err != nil {
		return err
	}
	cfg := c.GetConfig()
	if m := cfg.GetMasterConfig(); m.GetMachineTypeUri() == "" || (m.GetNumInstances() != 1 && m.GetNumInstances() != 3) {
		return invalid("config.master_config needs a machine type and 1 or 3 instances.")
	}
	for what, g := range map[string]*dataprocpb.InstanceGroupConfig{"worker_config": cfg.GetWorkerConfig(), "secondary_worker_config": cfg.GetSecondaryWorkerConfig()} {
		if g.GetNumInstances() < 0 || g.GetNumInstances() > 0 && g.GetMachineTypeUri() == "" {
			return invalid("config.%s: %d instances need a machine type.", what, g.GetNumInstances())
		}
	}
	lc := cfg.GetLifecycleConfig()
	for what, d := range map[string]time.Duration{"idle_delete_ttl": lc.GetIdleDeleteTtl().AsDuration(), "auto_delete_ttl": lc.GetAutoDeleteTtl().AsDuration()} {
		if d != 0 && (d < minTTLCluster || d > maxTTLCluster) {
			return invalid("config.lifecycle_config.%s %s must be between %s and %s.", what, d, minTTLCluster, maxTTLCluster)
		}
	}
	for _, comp := range cfg.GetSoftwareConfig().GetOptionalComponents() {
		if comp == dataprocpb.Component_COMPONENT_UNSPECIFIED {
			return invalid("config.software_config.optional_components: unspecified component.")
		}
	}
	return nil
}

// liveClusters counts the clusters of a project and region that are not
// gone. s.mu must be held.
func (s *Server) liveClusters(project, region string) int {
	n := 0
	for _, rec := range s.state.clusters {
		if rec.project == project && rec.region == region && s.clusterNow(rec).phase != clusterGone {
			n++
		}
	}
	return n
}

// GetCluster implements ClusterController. A deleted cluster is NotFound.
func (s *Server) GetCluster(ctx context.Context, req *dataprocpb.GetClusterRequest) (*dataprocpb.Cluster, error) {
	rec, err := s.lookupCluster(ctx, "dataproc.clusters.get", req.GetProjectId(), req.GetRegion(), req.GetClusterName(), "")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renderCluster(rec), nil
}

// DeleteCluster implements ClusterController. A cluster that is being
// created cannot be deleted yet (FailedPrecondition, as Dataproc answers
// while another operation is pending); one that is already being deleted
// returns that deletion's operation; one that is gone is NotFound, as is
// one whose uuid is not cluster_uuid.
func (s *Server) DeleteCluster(ctx context.Context, req *dataprocpb.DeleteClusterRequest) (*longrunningpb.Operation, error) {
	if err := checkRequestID(req.GetRequestId()); err != nil {
		return nil, err
	}
	rec, err := s.lookupCluster(ctx, "dataproc.clusters.delete", req.GetProjectId(), req.GetRegion(), req.GetClusterName(), req.GetClusterUuid())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.counts.DeleteCluster++
	switch cur := s.clusterNow(rec); cur.phase {
	case clusterGone:
		return nil, status.Errorf(codes.NotFound, "Not found: Cluster %s", clusterName(rec.project, rec.region, rec.name))
	case clusterCreating:
		return nil, status.Errorf(codes.FailedPrecondition,
			"Cannot delete cluster '%s' while it is in state CREATING: wait for the create operation to finish.", rec.name)
	case clusterDeleting:
		if rec.deleteOp == "" { // its lifecycle TTL started the deletion
			rec.deleteOp = operationName(rec.project, rec.region, newUUID())
			s.state.ops[rec.deleteOp] = opRec{project: rec.project, region: rec.region, cluster: rec, deletion: true}
		}
		return s.renderClusterOp(rec, rec.deleteOp)
	}
	rec.deleteAt, rec.deleteReq = s.clock.Now(), req.GetRequestId()
	rec.deleteOp = operationName(rec.project, rec.region, newUUID())
	s.state.ops[rec.deleteOp] = opRec{project: rec.project, region: rec.region, cluster: rec, deletion: true}
	return s.renderClusterOp(rec, rec.deleteOp)
}

// lookupCluster finds a live cluster the caller may act on.
func (s *Server) lookupCluster(ctx context.Context, permission, project, region, name, uuid string) (*clusterRec, error) {
	if err := checkLocation(project, region); err != nil {
		return nil, err
	}
	s.mu.Lock()
	rec, ok := s.state.clusters[clusterName(project, region, name)]
	gone := ok && s.clusterNow(rec).phase == clusterGone
	s.mu.Unlock()
	if !ok || gone || uuid != "" && rec.cluster.GetClusterUuid() != uuid {
		return nil, status.Errorf(codes.NotFound, "Not found: Cluster %s", clusterName(project, region, name))
	}
	if err := s.authorize(ctx, permission, rec.runsAs); err != nil {
		return nil, err
	}
	return rec, nil
}

// renderCluster returns a copy of the cluster with its status now. s.mu must be held.
func (s *Server) renderCluster(rec *clusterRec) *dataprocpb.Cluster {
	c := proto.Clone(rec.cluster).(*dataprocpb.Cluster)
	h := s.clusterHistory(rec, s.clock.Now())
	for _, t := range h[:len(h)-1] {
		c.StatusHistory = append(c.StatusHistory, &dataprocpb.ClusterStatus{State: clusterStates[t.phase], Detail: t.msg, StateStartTime: timestamppb.New(t.at)})
	}
	cur := h[len(h)-1]
	c.Status = &dataprocpb.ClusterStatus{State: clusterStates[cur.phase], Detail: cur.msg, StateStartTime: timestamppb.New(cur.at)}
	if ep := c.GetConfig().GetEndpointConfig(); ep.GetEnableHttpPortAccess() {
		host := fmt.Sprintf("https://%s-dot-%s.dataproc.googleusercontent.com", c.GetClusterUuid(), rec.region)
		ep.HttpPorts = map[string]string{"Spark History Server": host + "/sparkhistory/", "YARN ResourceManager": host + "/yarn/"}
		for _, comp := range c.GetConfig().GetSoftwareConfig().GetOptionalComponents() {
			if comp == dataprocpb.Component_JUPYTER {
				ep.HttpPorts["Jupyter"] = host + "/jupyter/"
			}
		}
	}
	if lc := c.GetConfig().GetLifecycleConfig(); lc != nil && cur.phase == clusterRunning {
		since, _ := s.lastActivity(rec, cur.at, s.clock.Now())
		lc.IdleStartTime = timestamppb.New(since)
	}
	return c
}
