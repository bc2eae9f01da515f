package dataproc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	dataprocapi "cloud.google.com/go/dataproc/v2/apiv1"
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// JobController is the part of Google's JobControllerClient the Submitter uses.
type JobController interface {
	SubmitJob(ctx context.Context, req *dataprocpb.SubmitJobRequest, opts ...gax.CallOption) (*dataprocpb.Job, error)
	GetJob(ctx context.Context, req *dataprocpb.GetJobRequest, opts ...gax.CallOption) (*dataprocpb.Job, error)
	CancelJob(ctx context.Context, req *dataprocpb.CancelJobRequest, opts ...gax.CallOption) (*dataprocpb.Job, error)
}

// BatchController is the part of Google's BatchControllerClient the Submitter uses.
type BatchController interface {
	CreateBatch(ctx context.Context, req *dataprocpb.CreateBatchRequest, opts ...gax.CallOption) (*dataprocapi.CreateBatchOperation, error)
	GetBatch(ctx context.Context, req *dataprocpb.GetBatchRequest, opts ...gax.CallOption) (*dataprocpb.Batch, error)
	CancelOperation(ctx context.Context, req *longrunningpb.CancelOperationRequest, opts ...gax.CallOption) error
}

// ClusterController is the part of Google's ClusterControllerClient the
// broker uses: clusters and their IAM policies.
type ClusterController interface {
	CreateCluster(ctx context.Context, req *dataprocpb.CreateClusterRequest, opts ...gax.CallOption) (*dataprocapi.CreateClusterOperation, error)
	GetCluster(ctx context.Context, req *dataprocpb.GetClusterRequest, opts ...gax.CallOption) (*dataprocpb.Cluster, error)
	ListClusters(ctx context.Context, req *dataprocpb.ListClustersRequest, opts ...gax.CallOption) *dataprocapi.ClusterIterator
	DeleteCluster(ctx context.Context, req *dataprocpb.DeleteClusterRequest, opts ...gax.CallOption) (*dataprocapi.DeleteClusterOperation, error)
	GetIamPolicy(ctx context.Context, req *iampb.GetIamPolicyRequest, opts ...gax.CallOption) (*iampb.Policy, error)
	SetIamPolicy(ctx context.Context, req *iampb.SetIamPolicyRequest, opts ...gax.CallOption) (*iampb.Policy, error)
}

// clientFault classifies a failure to build a client: a bad region is
// permanent, anything else (dialling) transient.
func clientFault(err error) error {
	if errors.Is(err, ErrInvalidRegion) {
		return fault.AsPermanent(ReasonInvalidJob, err)
	}
	return fault.AsTransient(ReasonUnavailable, err)
}

var (
	_ JobController     = (*dataprocapi.JobControllerClient)(nil)
	_ BatchController   = (*dataprocapi.BatchControllerClient)(nil)
	_ ClusterController = (*dataprocapi.ClusterControllerClient)(nil)
	_ Regional          = (*Clients)(nil)
)

// Regional hands out the clients of a region and the call option that
// authenticates one call with an access token.
type Regional interface {
	Jobs(ctx context.Context, region string) (JobController, error)
	Batches(ctx context.Context, region string) (BatchController, error)
	Clusters(ctx context.Context, region string) (ClusterController, error)
	Bearer(token string) gax.CallOption
}

// Endpoint is the regional Dataproc endpoint, which the API requires.
func Endpoint(region string) string { return region + "-dataproc.googleapis.com:443" }

// ClientConfig configures Clients.
type ClientConfig struct {
	// Endpoint, when set, replaces the regional endpoint for every region
	// (the local Dataproc server of `iis dev` and tests).
	Endpoint string
	// Insecure dials Endpoint in plaintext: dev mode only, requires
	// Endpoint. Tokens then travel unencrypted, so never point it at a real
	// service.
	Insecure bool
	// Options are appended to every client's options.
	Options []option.ClientOption
}

// Validate reports a configuration that must not be used.
func (c ClientConfig) Validate() error {
	if c.Insecure && c.Endpoint == "" {
		return errors.New("dataproc: Insecure requires an explicit Endpoint (dev mode only)")
	}
	return nil
}

// Clients builds Google's Dataproc clients per endpoint, lazily, and keeps
// them until Close. The clients carry no credentials of their own: each call
// is authenticated with the token passed through Bearer.
type Clients struct {
	cfg      ClientConfig
	mu       sync.Mutex
	jobs     map[string]*dataprocapi.JobControllerClient
	batches  map[string]*dataprocapi.BatchControllerClient
	clusters map[string]*dataprocapi.ClusterControllerClient
}

// NewClients returns an empty client cache.
func NewClients(cfg ClientConfig) (*Clients, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Clients{
		cfg:      cfg,
		jobs:     make(map[string]*dataprocapi.JobControllerClient),
		batches:  make(map[string]*dataprocapi.BatchControllerClient),
		clusters: make(map[string]*dataprocapi.ClusterControllerClient),
	}, nil
}

// ErrInvalidRegion is returned for a region that is not a Dataproc region name.
var ErrInvalidRegion = errors.New("dataproc: invalid region")

func (c *Clients) endpoint(region string) (string, error) {
	if !regionRE.MatchString(region) { // the region becomes part of a host name
		return "", fmt.Errorf("%w %q", ErrInvalidRegion, region)
	}
	if c.cfg.Endpoint != "" {
		return c.cfg.Endpoint, nil
	}
	return Endpoint(region), nil
}

func (c *Clients) options(endpoint string) []option.ClientOption {
	opts := []option.ClientOption{option.WithEndpoint(endpoint), option.WithoutAuthentication(), telemetry.GRPCClientOption()}
	if c.cfg.Insecure {
		opts = append(opts, option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	return append(opts, slices.Clone(c.cfg.Options)...)
}

// Jobs returns the job client of region.
func (c *Clients) Jobs(ctx context.Context, region string) (JobController, error) {
	ep, err := c.endpoint(region)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.jobs[ep]; ok {
		return cl, nil
	}
	cl, err := dataprocapi.NewJobControllerClient(ctx, c.options(ep)...)
	if err != nil {
		return nil, fmt.Errorf("dataproc.NewJobControllerClient(%s): %w", ep, err)
	}
	c.jobs[ep] = cl
	return cl, nil
}

// Batches returns the batch client of region.
func (c *Clients) Batches(ctx context.Context, region string) (BatchController, error) {
	ep, err := c.endpoint(region)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.batches[ep]; ok {
		return cl, nil
	}
	cl, err := dataprocapi.NewBatchControllerClient(ctx, c.options(ep)...)
	if err != nil {
		return nil, fmt.Errorf("dataproc.NewBatchControllerClient(%s): %w", ep, err)
	}
	c.batches[ep] = cl
	return cl, nil
}

// Clusters returns the cluster client of region.
func (c *Clients) Clusters(ctx context.Context, region string) (ClusterController, error) {
	ep, err := c.endpoint(region)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clusters[ep]; ok {
		return cl, nil
	}
	cl, err := dataprocapi.NewClusterControllerClient(ctx, c.options(ep)...)
	if err != nil {
		return nil, fmt.Errorf("dataproc.NewClusterControllerClient(%s): %w", ep, err)
	}
	c.clusters[ep] = cl
	return cl, nil
}

// Bearer returns the call option that sends token as the call's OAuth 2
// bearer token. Over a secure connection only, unless the Clients are Insecure.
func (c *Clients) Bearer(token string) gax.CallOption {
	return gax.WithGRPCOptions(grpc.PerRPCCredentials(bearer{token: token, insecure: c.cfg.Insecure}))
}

// Close closes every client.
func (c *Clients) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for ep, cl := range c.jobs {
		errs = append(errs, cl.Close())
		delete(c.jobs, ep)
	}
	for ep, cl := range c.batches {
		errs = append(errs, cl.Close())
		delete(c.batches, ep)
	}
	for ep, cl := range c.clusters {
		errs = append(errs, cl.Close())
		delete(c.clusters, ep)
	}
	return errors.Join(errs...)
}

// bearer is a per-call gRPC credential.
type bearer struct {
	token    string
	insecure bool
}

// String and GoString keep the token out of anything that prints a bearer.
func (b bearer) String() string   { return "bearer{redacted}" }
func (b bearer) GoString() string { return b.String() }

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return !b.insecure }
