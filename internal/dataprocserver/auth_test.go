package dataprocserver

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	etl := e.as(t, etlSA)
	if _, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
		Parent: parent(), BatchId: "guarded", Batch: sparkBatch(etlSA, nil)}, etl...); err != nil {
		t.Fatalf("CreateBatch() = %v", err)
	}
	shortToken, _, err := e.iam.Mint(etlSA, []string{CloudPlatformScope}, 5*time.Minute)
	if err != nil {
		t.Fatalf("Mint() = %v", err)
	}
	noScope, _, err := e.iam.Mint(etlSA, []string{"https://www.googleapis.com/auth/devstorage.read_only"}, time.Hour)
	if err != nil {
		t.Fatalf("Mint() = %v", err)
	}
	name := parent() + "/batches/guarded"
	tests := []struct {
		name    string
		opts    []gax.CallOption
		advance time.Duration
		code    codes.Code
	}{
		{"runs-as account", etl, 0, codes.OK},
		{"admin account", e.as(t, brokerSA), 0, codes.OK},
		{"no token", []gax.CallOption{gax.WithRetry(func() gax.Retryer { return nil })}, 0, codes.Unauthenticated},
		{"token not minted here", withToken("ya29.forged"), 0, codes.Unauthenticated},
		{"token for another account", e.as(t, otherSA), 0, codes.PermissionDenied},
		{"token without cloud-platform scope", withToken(noScope), 0, codes.PermissionDenied},
		{"short token still valid", withToken(shortToken), 0, codes.OK},
		{"expired token", withToken(shortToken), 5 * time.Minute, codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(tt.advance)
			_, err := e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: name}, tt.opts...)
			if status.Code(err) != tt.code {
				t.Errorf("GetBatch() = %v, want %v", err, tt.code)
			}
		})
	}
	// Creating a batch that runs as another account is refused too.
	_, err = e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
		Parent: parent(), BatchId: "impostor", Batch: sparkBatch(otherSA, nil)}, etl...)
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("CreateBatch(runs as another account) = %v, want PermissionDenied", err)
	}
	// A cluster job runs as the cluster's account, not the caller's.
	_, err = e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{
		ProjectId: project, Region: region, Job: sparkJob("j", nil)}, etl...)
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("SubmitJob(as a non-cluster account) = %v, want PermissionDenied", err)
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	etl, cluster := e.as(t, etlSA), e.as(t, clusterSA)
	batchTests := []struct {
		name string
		req  *dataprocpb.CreateBatchRequest
		code codes.Code
	}{
		{"batch_id too short", &dataprocpb.CreateBatchRequest{Parent: parent(), BatchId: "abc", Batch: sparkBatch(etlSA, nil)}, codes.InvalidArgument},
		{"batch_id uppercase", &dataprocpb.CreateBatchRequest{Parent: parent(), BatchId: "Abcd", Batch: sparkBatch(etlSA, nil)}, codes.InvalidArgument},
		{"batch_id too long", &dataprocpb.CreateBatchRequest{Parent: parent(), BatchId: strings.Repeat("a", 64), Batch: sparkBatch(etlSA, nil)}, codes.InvalidArgument},
		{"batch_id 63 chars", &dataprocpb.CreateBatchRequest{Parent: parent(), BatchId: strings.Repeat("a", 63), Batch: sparkBatch(etlSA, nil)}, codes.OK},
		{"request_id 41 chars", &dataprocpb.CreateBatchRequest{Parent: parent(), RequestId: strings.Repeat("a", 41), Batch: sparkBatch(etlSA, nil)}, codes.InvalidArgument},
		{"request_id with a dot", &dataprocpb.CreateBatchRequest{Parent: parent(), RequestId: "a.b", Batch: sparkBatch(etlSA, nil)}, codes.InvalidArgument},
		{"label with an e-mail", &dataprocpb.CreateBatchRequest{Parent: parent(), Batch: sparkBatch(etlSA, map[string]string{"owner": "a@b.com"})}, codes.InvalidArgument},
		{"uppercase label key", &dataprocpb.CreateBatchRequest{Parent: parent(), Batch: sparkBatch(etlSA, map[string]string{"Owner": "x"})}, codes.InvalidArgument},
		{"label key starting with a digit", &dataprocpb.CreateBatchRequest{Parent: parent(), Batch: sparkBatch(etlSA, map[string]string{"1x": "x"})}, codes.InvalidArgument},
		{"too many labels", &dataprocpb.CreateBatchRequest{Parent: parent(), Batch: sparkBatch(etlSA, manyLabels(33))}, codes.InvalidArgument},
		{"32 labels", &dataprocpb.CreateBatchRequest{Parent: parent(), Batch: sparkBatch(etlSA, manyLabels(32))}, codes.OK},
		{"bad parent", &dataprocpb.CreateBatchRequest{Parent: "projects/" + project + "/regions/" + region, Batch: sparkBatch(etlSA, nil)}, codes.InvalidArgument},
		{"no batch type", &dataprocpb.CreateBatchRequest{Parent: parent(), Batch: &dataprocpb.Batch{}}, codes.InvalidArgument},
		{"no service account, no default", &dataprocpb.CreateBatchRequest{Parent: parent(), Batch: sparkBatch("", nil)}, codes.InvalidArgument},
	}
	for _, tt := range batchTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.batches.CreateBatch(ctx, tt.req, etl...)
			if status.Code(err) != tt.code {
				t.Errorf("CreateBatch(%v) = %v, want %v", tt.req, err, tt.code)
			}
		})
	}
	unknownCluster := sparkJob("x", nil)
	unknownCluster.Placement.ClusterName = "nope"
	jobTests := []struct {
		name string
		req  *dataprocpb.SubmitJobRequest
		code codes.Code
	}{
		{"unknown cluster", &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, Job: unknownCluster}, codes.NotFound},
		{"bad region", &dataprocpb.SubmitJobRequest{ProjectId: project, Region: "global region", Job: sparkJob("x", nil)}, codes.InvalidArgument},
		{"bad job id", &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, Job: sparkJob("a/b", nil)}, codes.InvalidArgument},
		{"request_id 40 chars", &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, RequestId: strings.Repeat("A", 40), Job: sparkJob("x", nil)}, codes.OK},
		{"request_id 41 chars", &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, RequestId: strings.Repeat("A", 41), Job: sparkJob("y", nil)}, codes.InvalidArgument},
	}
	for _, tt := range jobTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.jobs.SubmitJob(ctx, tt.req, cluster...)
			if status.Code(err) != tt.code {
				t.Errorf("SubmitJob(%v) = %v, want %v", tt.req, err, tt.code)
			}
		})
	}
}

func TestRegionsAreSeparate(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	etl, cluster := e.as(t, etlSA), e.as(t, clusterSA)
	if _, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
		Parent: parent(), BatchId: "regional", Batch: sparkBatch(etlSA, nil)}, etl...); err != nil {
		t.Fatalf("CreateBatch() = %v", err)
	}
	other := "projects/" + project + "/locations/europe-west1/batches/regional"
	if _, err := e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: other}, etl...); status.Code(err) != codes.NotFound {
		t.Errorf("GetBatch(other region) = %v, want NotFound", err)
	}
	if _, err := e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{
		ProjectId: project, Region: region, Job: sparkJob("rj", nil)}, cluster...); err != nil {
		t.Fatalf("SubmitJob() = %v", err)
	}
	_, err := e.jobs.GetJob(ctx, &dataprocpb.GetJobRequest{ProjectId: project, Region: "europe-west1", JobId: "rj"}, cluster...)
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetJob(other region) = %v, want NotFound", err)
	}
}

func TestInterceptorsRunBeforeAuthentication(t *testing.T) {
	var calls atomic.Int32
	e := newEnv(t, func(c *Config) {
		c.Interceptors = []grpc.UnaryServerInterceptor{func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if strings.HasSuffix(info.FullMethod, "/SubmitJob") && calls.Add(1) == 1 {
				return nil, status.Error(codes.Unavailable, "injected")
			}
			return h(ctx, req)
		}}
	})
	ctx := context.Background()
	req := &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, RequestId: "r", Job: sparkJob("flaky", nil)}
	noRetry := gax.WithRetry(func() gax.Retryer { return nil })
	if _, err := e.jobs.SubmitJob(ctx, req, noRetry); status.Code(err) != codes.Unavailable {
		t.Fatalf("SubmitJob(no token, fault injected) = %v, want Unavailable", err)
	}
	if _, err := e.jobs.SubmitJob(ctx, req, e.as(t, clusterSA)...); err != nil {
		t.Fatalf("SubmitJob() after the fault = %v", err)
	}
	if got := e.srv.Counts().SubmitJob; got != 1 {
		t.Errorf("Counts().SubmitJob = %d, want 1", got)
	}
}

func manyLabels(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m["k"+strings.Repeat("x", i)] = "v"
	}
	return m
}
