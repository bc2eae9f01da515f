package dataprocserver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var jobStates = map[phase]dataprocpb.JobStatus_State{
	phasePending:    dataprocpb.JobStatus_PENDING,
	phaseRunning:    dataprocpb.JobStatus_RUNNING,
	phaseCancelling: dataprocpb.JobStatus_CANCEL_PENDING,
	phaseSucceeded:  dataprocpb.JobStatus_DONE,
	phaseFailed:     dataprocpb.JobStatus_ERROR,
	phaseCancelled:  dataprocpb.JobStatus_CANCELLED,
}

// SubmitJob implements JobController. A request_id seen before in the same
// project and region returns the job it created instead of a second one.
func (s *Server) SubmitJob(ctx context.Context, req *dataprocpb.SubmitJobRequest) (*dataprocpb.Job, error) {
	rec, err := s.submit(ctx, req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renderJob(rec), nil
}

func (s *Server) submit(ctx context.Context, req *dataprocpb.SubmitJobRequest) (*jobRec, error) {
	project, region := req.GetProjectId(), req.GetRegion()
	if err := checkLocation(project, region); err != nil {
		return nil, err
	}
	if err := checkRequestID(req.GetRequestId()); err != nil {
		return nil, err
	}
	job := req.GetJob()
	if job == nil || job.GetTypeJob() == nil {
		return nil, invalid("A job and its type (spark_job, pyspark_job, ...) are required.")
	}
	id := job.GetReference().GetJobId()
	if id != "" && !jobIDRE.MatchString(id) {
		return nil, invalid("Job id %q must be at most 100 characters of [A-Za-z0-9_-].", id)
	}
	if p := job.GetReference().GetProjectId(); p != "" && p != project {
		return nil, invalid("Job reference project %q does not match the request's project %q.", p, project)
	}
	if err := checkLabels(job.GetLabels()); err != nil {
		return nil, err
	}
	cluster := job.GetPlacement().GetClusterName()
	if cluster == "" {
		return nil, invalid("placement.cluster_name is required.")
	}
	runsAs, err := s.clusterRunsAs(project, region, cluster)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, "dataproc.jobs.create", runsAs); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.counts.SubmitJob++
	reqKey := jobKey(project, region, req.GetRequestId())
	if req.GetRequestId() != "" {
		if key, ok := s.state.jobReqs[reqKey]; ok {
			return s.state.jobs[key], nil
		}
	}
	if id == "" {
		id = strings.ReplaceAll(newUUID(), "-", "")
	}
	key := jobKey(project, region, id)
	if _, ok := s.state.jobs[key]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "Already exists: Failed to submit job: Job projects/%s/regions/%s/jobs/%s", project, region, id)
	}
	stored := proto.Clone(job).(*dataprocpb.Job)
	stored.Reference = &dataprocpb.JobReference{ProjectId: project, JobId: id}
	stored.JobUuid = newUUID()
	stored.Status, stored.StatusHistory, stored.Done = nil, nil, false
	w := Workload{Kind: "job", Project: project, Region: region, ID: id, ServiceAccount: runsAs, Labels: stored.GetLabels()}
	rec := &jobRec{job: stored, project: project, region: region, runsAs: runsAs, requestID: req.GetRequestId(),
		run: run{created: s.clock.Now(), timing: s.workloadTiming(w)}}
	if s.failure != nil {
		rec.run.failure = s.failure(w)
	}
	s.state.jobs[key] = rec
	if req.GetRequestId() != "" {
		s.state.jobReqs[reqKey] = key
		s.state.createdFor[req.GetRequestId()]++
	}
	s.state.counts.JobsCreated++
	return rec, nil
}

// clusterRunsAs is the VMs' service account of a cluster jobs may run on:
// a configured one, or one created through CreateCluster that is RUNNING.
func (s *Server) clusterRunsAs(project, region, cluster string) (string, error) {
	if sa, ok := s.clusters[cluster]; ok {
		return sa, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.state.clusters[clusterName(project, region, cluster)]
	if !ok {
		return "", status.Errorf(codes.NotFound, "Cluster projects/%s/regions/%s/clusters/%s not found.", project, region, cluster)
	}
	switch cur := s.clusterNow(rec); cur.phase {
	case clusterGone:
		return "", status.Errorf(codes.NotFound, "Cluster projects/%s/regions/%s/clusters/%s not found.", project, region, cluster)
	case clusterRunning:
		return rec.runsAs, nil
	default:
		return "", status.Errorf(codes.FailedPrecondition, "Cluster %s is in state %s: jobs run on RUNNING clusters only.", cluster, clusterStates[cur.phase])
	}
}

// GetJob implements JobController.
func (s *Server) GetJob(ctx context.Context, req *dataprocpb.GetJobRequest) (*dataprocpb.Job, error) {
	rec, err := s.lookupJob(ctx, "dataproc.jobs.get", req.GetProjectId(), req.GetRegion(), req.GetJobId())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renderJob(rec), nil
}

// CancelJob implements JobController: the job moves to CANCEL_PENDING, then
// CANCELLED. A job that has ended cannot be cancelled (FailedPrecondition).
func (s *Server) CancelJob(ctx context.Context, req *dataprocpb.CancelJobRequest) (*dataprocpb.Job, error) {
	rec, err := s.lookupJob(ctx, "dataproc.jobs.cancel", req.GetProjectId(), req.GetRegion(), req.GetJobId())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.counts.CancelJob++
	if !rec.run.cancel(s.clock.Now()) {
		return nil, status.Errorf(codes.FailedPrecondition, "Cannot cancel jobId '%s' in projectId '%s': Job is in state %s.",
			req.GetJobId(), req.GetProjectId(), jobStates[rec.run.current(s.clock.Now()).phase])
	}
	return s.renderJob(rec), nil
}

// ListJobs implements JobController with the documented filter fields
// status.state (ACTIVE, NON_ACTIVE), insertTime and labels.KEY. Only jobs the
// caller may see are listed.
func (s *Server) ListJobs(ctx context.Context, req *dataprocpb.ListJobsRequest) (*dataprocpb.ListJobsResponse, error) {
	if err := checkLocation(req.GetProjectId(), req.GetRegion()); err != nil {
		return nil, err
	}
	clauses, err := parseFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	if err := checkFields(clauses, "status.state", "insertTime"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var recs []*jobRec
	for _, rec := range s.state.jobs {
		if rec.project != req.GetProjectId() || rec.region != req.GetRegion() || !s.allowed(ctx, rec.runsAs) {
			continue
		}
		if c := req.GetClusterName(); c != "" && rec.job.GetPlacement().GetClusterName() != c {
			continue
		}
		active := !rec.run.current(now).phase.terminal()
		if len(clauses) == 0 {
			switch req.GetJobStateMatcher() {
			case dataprocpb.ListJobsRequest_ACTIVE:
				if !active {
					continue
				}
			case dataprocpb.ListJobsRequest_NON_ACTIVE:
				if active {
					continue
				}
			}
		}
		ok, err := matches(clauses, func(field string) (string, bool, bool) {
			switch field {
			case "status.state":
				if active {
					return "ACTIVE", true, true
				}
				return "NON_ACTIVE", true, true
			case "insertTime":
				return rec.run.created.Format(time.RFC3339Nano), true, true
			}
			v, present := rec.job.GetLabels()[strings.TrimPrefix(field, "labels.")]
			return v, present, true
		}, "insertTime")
		if err != nil {
			return nil, err
		}
		if ok {
			recs = append(recs, rec)
		}
	}
	slices.SortFunc(recs, func(a, b *jobRec) int {
		return cmp.Or(a.run.created.Compare(b.run.created), strings.Compare(a.job.GetReference().GetJobId(), b.job.GetReference().GetJobId()))
	})
	recs, next, err := page(recs, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &dataprocpb.ListJobsResponse{NextPageToken: next}
	for _, rec := range recs {
		resp.Jobs = append(resp.Jobs, s.renderJob(rec))
	}
	return resp, nil
}

func (s *Server) lookupJob(ctx context.Context, permission, project, region, id string) (*jobRec, error) {
	if err := checkLocation(project, region); err != nil {
		return nil, err
	}
	s.mu.Lock()
	rec, ok := s.state.jobs[jobKey(project, region, id)]
	s.mu.Unlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Not found: Job projects/%s/regions/%s/jobs/%s", project, region, id)
	}
	if err := s.authorize(ctx, permission, rec.runsAs); err != nil {
		return nil, err
	}
	return rec, nil
}

// renderJob returns a copy of the job with its status at the current time.
// s.mu must be held.
func (s *Server) renderJob(rec *jobRec) *dataprocpb.Job {
	job := proto.Clone(rec.job).(*dataprocpb.Job)
	h := rec.run.history(s.clock.Now())
	statuses := make([]*dataprocpb.JobStatus, len(h))
	for i, t := range h {
		statuses[i] = &dataprocpb.JobStatus{State: jobStates[t.phase], Details: t.msg, StateStartTime: timestamppb.New(t.at)}
	}
	job.Status = statuses[len(statuses)-1]
	job.StatusHistory = statuses[:len(statuses)-1]
	job.Done = h[len(h)-1].phase.terminal()
	job.DriverOutputResourceUri = fmt.Sprintf("gs://dataproc-staging-%s/google-cloud-dataproc-metainfo/jobs/%s/driveroutput",
		rec.region, job.GetReference().GetJobId())
	return job
}
