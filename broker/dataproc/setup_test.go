package dataproc

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	dataprocapi "cloud.google.com/go/dataproc/v2/apiv1"
	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/iamserver"
	"github.com/googleapis/gax-go/v2"
	"github.com/rs/zerolog"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	project   = "iis-test"
	region    = "us-central1"
	etlSA     = "etl@iis-test.iam.gserviceaccount.com"
	otherSA   = "other@iis-test.iam.gserviceaccount.com"
	clusterSA = "cluster-vm@iis-test.iam.gserviceaccount.com"
	brokerSA  = "broker@iis-test.iam.gserviceaccount.com"
	cluster   = "analytics"
)

// env is the whole chain: IAM server, Dataproc server, the Minter and the
// Submitter, all through Google's real clients on loopback ports.
type env struct {
	clock   *dataprocserver.ManualClock
	iam     *iamserver.Server
	srv     *dataprocserver.Server
	minter  *credentials.Minter
	sub     *Submitter
	clients *Clients
	waits   *[]time.Duration
	log     *syncBuffer
	ctx     context.Context
}

type envConfig struct {
	dataproc []grpc.UnaryServerInterceptor
	failure  func(dataprocserver.Workload) string
	limiter  *Limiter
	quota    int // live clusters per region (0: none)
}

func newEnv(t *testing.T, ec envConfig) *env {
	t.Helper()
	ctx := context.Background()
	clock := dataprocserver.NewManualClock(time.Now())
	iam, err := iamserver.Start(ctx, "127.0.0.1:0", iamserver.Config{
		ServiceAccounts: []string{etlSA, otherSA, clusterSA, brokerSA, vmSA}, Clock: clock})
	if err != nil {
		t.Fatalf("iamserver.Start() = %v", err)
	}
	t.Cleanup(func() { iam.Close() })
	srv, err := dataprocserver.Start(ctx, "127.0.0.1:0", dataprocserver.Config{
		Tokens:        iam,
		Clusters:      map[string]string{cluster: clusterSA},
		Admins:        []string{brokerSA},
		Timing:        dataprocserver.Timing{Pending: time.Minute, Running: 10 * time.Minute, Cancel: 30 * time.Second},
		Failure:       ec.failure,
		Clock:         clock,
		Interceptors:  ec.dataproc,
		ClusterQuota:  ec.quota,
		ClusterTiming: dataprocserver.ClusterTiming{Create: time.Minute, Delete: time.Minute},
	})
	if err != nil {
		t.Fatalf("dataprocserver.Start() = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	iamClient, err := credentials.NewClient(ctx, credentials.ClientConfig{Endpoint: iam.Addr(), Insecure: true})
	if err != nil {
		t.Fatalf("credentials.NewClient() = %v", err)
	}
	t.Cleanup(func() { iamClient.Close() })
	minter, err := credentials.New(credentials.Config{}, iamClient)
	if err != nil {
		t.Fatalf("credentials.New() = %v", err)
	}
	clients, err := NewClients(ClientConfig{Endpoint: srv.Addr(), Insecure: true})
	if err != nil {
		t.Fatalf("NewClients() = %v", err)
	}
	t.Cleanup(func() { clients.Close() })
	sub, err := New(Config{Clients: clients, Limiter: ec.limiter, LabelKey: []byte("test-label-key")})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	var waits []time.Duration
	var mu sync.Mutex
	sub.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return ctx.Err()
	}
	log := &syncBuffer{}
	logger := zerolog.New(log)
	return &env{clock: clock, iam: iam, srv: srv, minter: minter, sub: sub, clients: clients, waits: &waits,
		log: log, ctx: logger.WithContext(ctx)}
}

// mint returns a credential for sa from the Minter, through the IAM server.
func (e *env) mint(t *testing.T, sa string) credentials.Credential {
	t.Helper()
	cred, err := e.minter.Mint(e.ctx, sa, 0)
	if err != nil {
		t.Fatalf("Mint(%s) = %v", sa, err)
	}
	return cred
}

// rawBatches returns Google's batch client with no credentials of its own.
func (e *env) rawBatches(t *testing.T) *dataprocapi.BatchControllerClient {
	t.Helper()
	c, err := dataprocapi.NewBatchControllerClient(context.Background(), option.WithEndpoint(e.srv.Addr()),
		option.WithoutAuthentication(), option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatalf("NewBatchControllerClient() = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (e *env) as(c Caller) []gax.CallOption {
	return []gax.CallOption{e.clients.Bearer(c.AccessToken()), noClientRetry}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func sparkRequest(key string, target Target) Request {
	return Request{
		Key: key, RequestID: key, Principal: "alice@example.com", Role: "etl-runner", Target: target,
		Job: JobSpec{Type: TypeSpark, MainClass: "org.example.Main", JarURIs: []string{"gs://bucket/app.jar"},
			Args: []string{"--day", "2026-01-01"}, Properties: map[string]string{"spark.executor.instances": "2"}},
		Labels: map[string]string{"team": "data"},
	}
}

var batchTarget = Target{Project: project, Region: region}
var jobTarget = Target{Project: project, Region: region, Cluster: cluster}

// rawClusters returns Google's cluster client with no credentials of its own.
func (e *env) rawClusters(t *testing.T) *dataprocapi.ClusterControllerClient {
	t.Helper()
	c, err := dataprocapi.NewClusterControllerClient(context.Background(), option.WithEndpoint(e.srv.Addr()),
		option.WithoutAuthentication(), option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatalf("NewClusterControllerClient() = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
