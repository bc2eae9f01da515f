package dataprocserver

import (
	"context"
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestJobLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	as := e.as(t, clusterSA)
	job, err := e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{
		ProjectId: project, Region: region, RequestId: "req-job", Job: sparkJob("job-1", nil)}, as...)
	if err != nil {
		t.Fatalf("SubmitJob() = %v", err)
	}
	if job.GetStatus().GetState() != dataprocpb.JobStatus_PENDING || job.GetJobUuid() == "" {
		t.Errorf("SubmitJob() = state %v, uuid %q; want PENDING and a uuid", job.GetStatus().GetState(), job.GetJobUuid())
	}
	steps := []struct {
		advance time.Duration
		want    dataprocpb.JobStatus_State
		done    bool
	}{
		{time.Minute, dataprocpb.JobStatus_RUNNING, false},
		{10 * time.Minute, dataprocpb.JobStatus_DONE, true},
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		got, err := e.jobs.GetJob(ctx, &dataprocpb.GetJobRequest{ProjectId: project, Region: region, JobId: "job-1"}, as...)
		if err != nil {
			t.Fatalf("GetJob() = %v", err)
		}
		if got.GetStatus().GetState() != s.want || got.GetDone() != s.done {
			t.Errorf("GetJob() at +%v = %v done %v, want %v done %v", e.clock.Now().Sub(epoch),
				got.GetStatus().GetState(), got.GetDone(), s.want, s.done)
		}
	}
}

func TestSubmitJobIdempotency(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	as := e.as(t, clusterSA)
	submit := func(reqID, jobID string) (*dataprocpb.Job, error) {
		return e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{
			ProjectId: project, Region: region, RequestId: reqID, Job: sparkJob(jobID, nil)}, as...)
	}
	first, err := submit("req-1", "job-a")
	if err != nil {
		t.Fatalf("SubmitJob() = %v", err)
	}
	tests := []struct {
		name, reqID, jobID string
		code               codes.Code
		wantUUID           string
	}{
		{"same request", "req-1", "job-a", codes.OK, first.GetJobUuid()},
		{"same request_id, other job_id", "req-1", "job-b", codes.OK, first.GetJobUuid()},
		{"same job_id, other request_id", "req-2", "job-a", codes.AlreadyExists, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := submit(tt.reqID, tt.jobID)
			if status.Code(err) != tt.code {
				t.Fatalf("SubmitJob(%s, %s) = %v, want %v", tt.reqID, tt.jobID, err, tt.code)
			}
			if got.GetJobUuid() != tt.wantUUID {
				t.Errorf("SubmitJob(%s, %s) uuid = %q, want %q", tt.reqID, tt.jobID, got.GetJobUuid(), tt.wantUUID)
			}
		})
	}
	if got := e.srv.CreatedFor("req-1"); got != 1 {
		t.Errorf("CreatedFor(req-1) = %d, want 1", got)
	}
	if got := e.srv.Counts(); got.SubmitJob != 4 || got.JobsCreated != 1 {
		t.Errorf("Counts() = %+v, want 4 SubmitJob calls creating 1 job", got)
	}
}

func TestCancelJob(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	as := e.as(t, clusterSA)
	if _, err := e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{
		ProjectId: project, Region: region, Job: sparkJob("job-c", nil)}, as...); err != nil {
		t.Fatalf("SubmitJob() = %v", err)
	}
	e.clock.Advance(2 * time.Minute)
	cancel := &dataprocpb.CancelJobRequest{ProjectId: project, Region: region, JobId: "job-c"}
	job, err := e.jobs.CancelJob(ctx, cancel, as...)
	if err != nil || job.GetStatus().GetState() != dataprocpb.JobStatus_CANCEL_PENDING {
		t.Fatalf("CancelJob() = %v, %v; want CANCEL_PENDING", job.GetStatus(), err)
	}
	e.clock.Advance(30 * time.Second)
	job, _ = e.jobs.GetJob(ctx, &dataprocpb.GetJobRequest{ProjectId: project, Region: region, JobId: "job-c"}, as...)
	if job.GetStatus().GetState() != dataprocpb.JobStatus_CANCELLED || !job.GetDone() {
		t.Errorf("GetJob() after cancel = %v, want CANCELLED and done", job.GetStatus())
	}
	if _, err := e.jobs.CancelJob(ctx, cancel, as...); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("CancelJob(cancelled) = %v, want FailedPrecondition", err)
	}
	if got := e.srv.Counts().CancelJob; got != 2 {
		t.Errorf("Counts().CancelJob = %d, want 2", got)
	}
}

func TestSubmitJobAsOperation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	as := e.as(t, clusterSA)
	op, err := e.jobs.SubmitJobAsOperation(ctx, &dataprocpb.SubmitJobRequest{
		ProjectId: project, Region: region, RequestId: "req-op", Job: sparkJob("job-op", nil)}, as...)
	if err != nil {
		t.Fatalf("SubmitJobAsOperation() = %v", err)
	}
	e.clock.Advance(time.Hour - time.Second)
	got, err := e.jobs.GetOperation(ctx, &longrunningpb.GetOperationRequest{Name: op.Name()}, as...)
	if err != nil || !got.GetDone() || got.GetResponse() == nil {
		t.Errorf("GetOperation() = %v, %v; want done with the job", got, err)
	}
}

func TestListJobs(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Clusters["other-cluster"] = otherSA })
	ctx := context.Background()
	as, admin := e.as(t, clusterSA), e.as(t, brokerSA)
	for _, j := range []struct{ id, req string }{{"j1", "r1"}, {"j2", "r1"}, {"j3", "r2"}} {
		if _, err := e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{
			ProjectId: project, Region: region, Job: sparkJob(j.id, map[string]string{"iis-request": j.req})}, as...); err != nil {
			t.Fatalf("SubmitJob(%s) = %v", j.id, err)
		}
		e.clock.Advance(time.Second)
	}
	hidden := sparkJob("j4", map[string]string{"iis-request": "r1"})
	hidden.Placement.ClusterName = "other-cluster"
	if _, err := e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{
		ProjectId: project, Region: region, Job: hidden}, e.as(t, otherSA)...); err != nil {
		t.Fatalf("SubmitJob(j4) = %v", err)
	}
	e.clock.Advance(time.Second)
	if _, err := e.jobs.CancelJob(ctx, &dataprocpb.CancelJobRequest{ProjectId: project, Region: region, JobId: "j2"}, as...); err != nil {
		t.Fatalf("CancelJob(j2) = %v", err)
	}
	e.clock.Advance(time.Minute)
	list := func(req *dataprocpb.ListJobsRequest, callAs []gax.CallOption) ([]string, error) {
		req.ProjectId, req.Region = project, region
		it := e.jobs.ListJobs(ctx, req, callAs...)
		var ids []string
		for {
			j, err := it.Next()
			if err == iterator.Done {
				return ids, nil
			}
			if err != nil {
				return nil, err
			}
			ids = append(ids, j.GetReference().GetJobId())
		}
	}
	tests := []struct {
		name  string
		req   *dataprocpb.ListJobsRequest
		admin bool
		want  []string
		code  codes.Code
	}{
		{"all visible", &dataprocpb.ListJobsRequest{}, false, []string{"j1", "j2", "j3"}, codes.OK},
		{"admin sees all", &dataprocpb.ListJobsRequest{}, true, []string{"j1", "j2", "j3", "j4"}, codes.OK},
		{"label and active", &dataprocpb.ListJobsRequest{Filter: "labels.iis-request = r1 AND status.state = ACTIVE"}, false, []string{"j1"}, codes.OK},
		{"non active", &dataprocpb.ListJobsRequest{Filter: "status.state = NON_ACTIVE"}, false, []string{"j2"}, codes.OK},
		{"matcher", &dataprocpb.ListJobsRequest{JobStateMatcher: dataprocpb.ListJobsRequest_ACTIVE, PageSize: 1}, false, []string{"j1", "j3"}, codes.OK},
		{"cluster", &dataprocpb.ListJobsRequest{ClusterName: "other-cluster"}, true, []string{"j4"}, codes.OK},
		{"unknown field", &dataprocpb.ListJobsRequest{Filter: "state = RUNNING"}, false, nil, codes.InvalidArgument},
		{"bad page token", &dataprocpb.ListJobsRequest{PageToken: "x"}, false, nil, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			callAs := as
			if tt.admin {
				callAs = admin
			}
			got, err := list(tt.req, callAs)
			if status.Code(err) != tt.code {
				t.Fatalf("ListJobs(%v) = %v, want %v", tt.req, err, tt.code)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ListJobs(%v) = %v, want %v", tt.req, got, tt.want)
			}
		})
	}
}
