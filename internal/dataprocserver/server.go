package dataprocserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sync"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/grpc"
)

// Workload describes a job or batch being created, for Config.Failure.
type Workload struct {
	Kind           string // "job" or "batch"
	Project        string
	Region         string
	ID             string // job id or batch id
	ServiceAccount string // the account it runs as
	Labels         map[string]string
}

// Config configures a Server.
type Config struct {
	// Tokens verifies the bearer token of every call (required): the local
	// IAM Credentials server.
	Tokens Tokens
	// Clusters maps each existing cluster name (in any project and region)
	// to the service account its VMs, and so its jobs, run as.
	Clusters map[string]string
	// DefaultServiceAccount runs batches that name no execution service
	// account (the real API uses the Compute Engine default account). Empty:
	// such batches are rejected.
	DefaultServiceAccount string
	// Admins are service accounts that may act on every workload, as a
	// project-level Dataproc editor may (the broker's own identity).
	Admins []string
	// Timing of the state machine; zero means DefaultTiming.
	Timing Timing
	// TimingFor, when set, is asked once per new job or batch; a non-zero
	// answer replaces Timing for that workload (a test that needs one job to
	// outlast another whatever the machine's load).
	TimingFor func(Workload) Timing
	// Failure, when set, is asked once per new workload; a non-empty answer
	// makes the workload end in ERROR/FAILED with that message.
	Failure func(Workload) string
	// Clock defaults to the system clock.
	Clock Clock
	// Interceptors run before authentication, outermost first; tests use
	// them to inject faults.
	Interceptors []grpc.UnaryServerInterceptor
	// ClusterTiming is how long clusters take to create and delete; zero
	// means DefaultClusterTiming.
	ClusterTiming ClusterTiming
	// ClusterQuota caps the live clusters per project and region (0: no cap).
	ClusterQuota int
	// ClusterFailure, when set, is asked once per new cluster; a non-empty
	// answer makes it end up in ERROR with that message.
	ClusterFailure func(Workload) string
	// IgnoreLifecycle turns off the enforcement of clusters' idle and
	// auto-delete TTLs (tests of a broker that must delete them itself).
	IgnoreLifecycle bool
}

// Validate reports a configuration the server cannot run with.
func (c Config) Validate() error {
	if c.Tokens == nil {
		return errors.New("dataprocserver: Config.Tokens is required")
	}
	for name, sa := range c.Clusters {
		if name == "" || sa == "" {
			return fmt.Errorf("dataprocserver: cluster %q needs a name and a service account", name)
		}
	}
	return nil
}

// Counts are call and creation counters, for tests. Calls count requests that
// passed authentication.
type Counts struct {
	SubmitJob       int
	CreateBatch     int
	CancelJob       int
	CancelOperation int
	JobsCreated     int
	BatchesCreated  int
	CreateCluster   int
	DeleteCluster   int
	ClustersCreated int
	SetIamPolicy    int
	IamConflicts    int // SetIamPolicy calls refused for a stale etag
}

// Server serves the Dataproc, Operations and IAM policy APIs on a TCP address.
type Server struct {
	dataprocpb.UnimplementedJobControllerServer
	dataprocpb.UnimplementedBatchControllerServer
	dataprocpb.UnimplementedClusterControllerServer
	longrunningpb.UnimplementedOperationsServer
	iampb.UnimplementedIAMPolicyServer

	tokens   Tokens
	clusters map[string]string
	defSA    string
	admins   map[string]bool
	timing   Timing
	failure  func(Workload) string
	timingOf func(Workload) Timing
	clock    Clock

	clusterTiming   ClusterTiming
	clusterQuota    int
	clusterFailure  func(Workload) string
	ignoreLifecycle bool

	mu    sync.Mutex
	state state

	grpc      *grpc.Server
	lis       net.Listener
	closeOnce sync.Once
	stop      func() bool
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves until
// Close is called or ctx is done.
func Start(ctx context.Context, addr string, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		tokens:   cfg.Tokens,
		clusters: maps.Clone(cfg.Clusters),
		defSA:    cfg.DefaultServiceAccount,
		admins:   make(map[string]bool, len(cfg.Admins)),
		timing:   cfg.Timing,
		failure:  cfg.Failure,
		timingOf: cfg.TimingFor,
		clock:    cfg.Clock,
		state:    newState(),

		clusterTiming: cfg.ClusterTiming, clusterQuota: cfg.ClusterQuota,
		clusterFailure: cfg.ClusterFailure, ignoreLifecycle: cfg.IgnoreLifecycle,
	}
	if s.clusterTiming == (ClusterTiming{}) {
		s.clusterTiming = DefaultClusterTiming
	}
	for _, a := range cfg.Admins {
		s.admins[a] = true
	}
	if s.timing == (Timing{}) {
		s.timing = DefaultTiming
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	lis, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dataprocserver: listen: %w", err)
	}
	s.lis = lis
	chain := append(slices.Clone(cfg.Interceptors), s.authenticate)
	s.grpc = grpc.NewServer(grpc.ChainUnaryInterceptor(chain...))
	dataprocpb.RegisterJobControllerServer(s.grpc, s)
	dataprocpb.RegisterBatchControllerServer(s.grpc, s)
	dataprocpb.RegisterClusterControllerServer(s.grpc, s)
	longrunningpb.RegisterOperationsServer(s.grpc, s)
	iampb.RegisterIAMPolicyServer(s.grpc, s)
	go func() {
		// Serve returns when the server stops; there is no one to report to.
		_ = s.grpc.Serve(lis)
	}()
	s.stop = context.AfterFunc(ctx, func() { s.Close() })
	return s, nil
}

// Addr is the address the server listens on, for option.WithEndpoint.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Close stops the server and drops its connections. It is safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.grpc.Stop()
	})
	return nil
}

// Counts returns the counters.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.counts
}

// CreatedFor returns how many jobs, batches and clusters were created with
// requestID (in any project and region): an idempotent client keeps it at one.
func (s *Server) CreatedFor(requestID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.createdFor[requestID]
}

// workloadTiming is the timing of the new workload w.
func (s *Server) workloadTiming(w Workload) Timing {
	if s.timingOf != nil {
		if t := s.timingOf(w); t != (Timing{}) {
			return t
		}
	}
	return s.timing
}
