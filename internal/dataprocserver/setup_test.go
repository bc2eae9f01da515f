package dataprocserver

import (
	"context"
	"testing"
	"time"

	dataproc "cloud.google.com/go/dataproc/v2/apiv1"
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/dataproc-iis/iis/internal/iamserver"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	project    = "iis-test"
	region     = "us-central1"
	etlSA      = "etl@iis-test.iam.gserviceaccount.com"
	otherSA    = "other@iis-test.iam.gserviceaccount.com"
	clusterSA  = "cluster-vm@iis-test.iam.gserviceaccount.com"
	brokerSA   = "broker@iis-test.iam.gserviceaccount.com"
	clusterRun = "analytics"
)

var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// env is a running IAM server, Dataproc server and the real clients.
type env struct {
	clock   *ManualClock
	iam     *iamserver.Server
	srv     *Server
	jobs    *dataproc.JobControllerClient
	batches *dataproc.BatchControllerClient
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	clock := NewManualClock(epoch)
	iam, err := iamserver.Start(ctx, "127.0.0.1:0", iamserver.Config{Clock: clock})
	if err != nil {
		t.Fatalf("iamserver.Start() = %v", err)
	}
	t.Cleanup(func() { iam.Close() })
	cfg := Config{
		Tokens:   iam,
		Clusters: map[string]string{clusterRun: clusterSA},
		Admins:   []string{brokerSA},
		Timing:   Timing{Pending: time.Minute, Running: 10 * time.Minute, Cancel: 30 * time.Second},
		Clock:    clock,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := Start(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	opts := []option.ClientOption{
		option.WithEndpoint(srv.Addr()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
	jobs, err := dataproc.NewJobControllerClient(ctx, opts...)
	if err != nil {
		t.Fatalf("NewJobControllerClient() = %v", err)
	}
	t.Cleanup(func() { jobs.Close() })
	batches, err := dataproc.NewBatchControllerClient(ctx, opts...)
	if err != nil {
		t.Fatalf("NewBatchControllerClient() = %v", err)
	}
	t.Cleanup(func() { batches.Close() })
	return &env{clock: clock, iam: iam, srv: srv, jobs: jobs, batches: batches}
}

// as returns the call options that authenticate a call as sa, with a fresh
// token, and disable the client's own retries.
func (e *env) as(t *testing.T, sa string) []gax.CallOption {
	t.Helper()
	token, _, err := e.iam.Mint(sa, []string{CloudPlatformScope}, time.Hour)
	if err != nil {
		t.Fatalf("Mint(%s) = %v", sa, err)
	}
	return withToken(token)
}

func withToken(token string) []gax.CallOption {
	return []gax.CallOption{
		gax.WithGRPCOptions(grpc.PerRPCCredentials(bearer(token))),
		gax.WithRetry(func() gax.Retryer { return nil }),
	}
}

// bearer sends a token over the test's plaintext loopback connection.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

func sparkBatch(sa string, labels map[string]string) *dataprocpb.Batch {
	return &dataprocpb.Batch{
		BatchConfig: &dataprocpb.Batch_SparkBatch{SparkBatch: &dataprocpb.SparkBatch{
			Driver:      &dataprocpb.SparkBatch_MainClass{MainClass: "org.example.Main"},
			JarFileUris: []string{"gs://bucket/app.jar"},
		}},
		Labels: labels,
		EnvironmentConfig: &dataprocpb.EnvironmentConfig{
			ExecutionConfig: &dataprocpb.ExecutionConfig{ServiceAccount: sa},
		},
	}
}

func sparkJob(id string, labels map[string]string) *dataprocpb.Job {
	return &dataprocpb.Job{
		Reference: &dataprocpb.JobReference{JobId: id},
		Placement: &dataprocpb.JobPlacement{ClusterName: clusterRun},
		TypeJob: &dataprocpb.Job_SparkJob{SparkJob: &dataprocpb.SparkJob{
			Driver: &dataprocpb.SparkJob_MainJarFileUri{MainJarFileUri: "gs://bucket/app.jar"},
		}},
		Labels: labels,
	}
}

func parent() string { return "projects/" + project + "/locations/" + region }
