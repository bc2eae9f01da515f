package dataproc

import (
	"context"
	"errors"
	"fmt"
	"time"

	dataprocapi "cloud.google.com/go/dataproc/v2/apiv1"
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/dataproc-iis/iis/broker/backoff"
	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/googleapis/gax-go/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Kinds of workload.
const (
	KindBatch = "batch" // a Dataproc Serverless batch
	KindJob   = "job"   // a job on a named cluster
)

// Submission identifies a submitted workload; the store keeps it and the
// watcher and Cancel take it back. It holds no secret.
type Submission struct {
	Kind    string `json:"kind"`
	Project string `json:"project"`
	Region  string `json:"region"`
	// Resource is the full resource name: projects/{p}/locations/{r}/batches/{id}
	// or projects/{p}/regions/{r}/jobs/{id}.
	Resource string `json:"resource"`
	// DataprocID is the batch_id or job_id; DataprocRequestID the request_id.
	DataprocID        string `json:"dataproc_id"`
	DataprocRequestID string `json:"dataproc_request_id"`
	// UUID is the id Dataproc gave the workload (batch or job uuid).
	UUID string `json:"uuid,omitempty"`
	// Operation is a batch's long-running operation, through which it is cancelled.
	Operation string `json:"operation,omitempty"`
}

// Caller supplies the access token of a call: a credentials.Credential minted
// for the workload's service account, or one of the broker's own identity.
type Caller interface {
	AccessToken() string
}

// Config configures a Submitter.
type Config struct {
	// Clients hands out regional clients (required): usually *Clients.
	Clients Regional
	// Limiter paces submits and cancels per region; nil builds one with
	// Dataproc's default quota. Share one Limiter per process.
	Limiter *Limiter
	// LabelKey keys the principal hash in the iis-principal label. Set it in
	// production (a secret); empty falls back to plain SHA-256.
	LabelKey []byte
	// Retry bounds retries of transient errors.
	Retry Retry
	// ExpiryMargin: Submit refuses a credential expiring within it (a
	// transient fault: mint again); default 30s. Keep it below the shortest
	// role lifetime cap.
	ExpiryMargin time.Duration
}

// Validate reports a configuration the Submitter cannot run with.
func (c Config) Validate() error {
	if c.Clients == nil {
		return errors.New("dataproc: Config.Clients is required")
	}
	if c.Retry.Attempts < 0 || c.Retry.Initial < 0 || c.Retry.Max < 0 || c.ExpiryMargin < 0 {
		return errors.New("dataproc: negative retry or margin setting")
	}
	return nil
}

// Submitter submits, follows and cancels Dataproc workloads. It is safe for
// concurrent use.
type Submitter struct {
	clients  Regional
	limiter  *Limiter
	labelKey []byte
	retry    Retry
	margin   time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
}

// New returns a Submitter.
func New(cfg Config) (*Submitter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Submitter{
		clients: cfg.Clients, limiter: cfg.Limiter, labelKey: cfg.LabelKey,
		retry: cfg.Retry.Or(defaultRetry), margin: cfg.ExpiryMargin, now: time.Now, sleep: backoff.Sleep,
	}
	if s.limiter == nil {
		l, err := NewLimiter(LimiterConfig{})
		if err != nil {
			return nil, err
		}
		s.limiter = l
	}
	if s.margin == 0 {
		s.margin = 30 * time.Second
	}
	return s, nil
}

// PrincipalLabel is the iis-principal label value of a principal under this
// Submitter's key, to find a principal's workloads with a label filter.
func (s *Submitter) PrincipalLabel(principal string) string {
	return PrincipalLabel(s.labelKey, principal)
}

// Submit creates the request's workload, authenticated as cred: a batch
// running as cred's service account when the target names no cluster, a job
// on the cluster otherwise. It is idempotent: every delivery of a request
// uses the same ids, and a workload the request already created is returned
// rather than created again.
func (s *Submitter) Submit(ctx context.Context, cred credentials.Credential, req Request) (sub Submission, err error) {
	ctx, span := telemetry.Start(ctx, "iis.submit", trace.WithAttributes(attribute.String("iis.region", req.Target.Region),
		attribute.String("iis.project", req.Target.Project), attribute.String("iis.cluster", req.Target.Cluster)))
	defer func() {
		span.SetAttributes(attribute.String("iis.resource", sub.Resource))
		telemetry.End(span, err)
	}()
	if err := req.validate(); err != nil {
		return Submission{}, fault.AsPermanent(ReasonInvalidJob, fmt.Errorf("dataproc.Submit: %w", err))
	}
	if cred.ServiceAccount == "" {
		return Submission{}, fault.Permanentf(ReasonInvalidJob, "dataproc.Submit: credential names no service account")
	}
	if cred.Expired(s.now(), s.margin) {
		// Transient: a redelivery mints a fresh credential.
		return Submission{}, fault.AsTransient(ReasonCredentialExpired, fmt.Errorf(
			"dataproc.Submit: credential %s expires at %s", cred.Fingerprint, cred.ExpireTime.Format(time.RFC3339)))
	}
	if req.Target.Cluster == "" {
		return s.submitBatch(ctx, cred, req)
	}
	return s.submitJob(ctx, cred, req)
}

func (s *Submitter) opts(c Caller) []gax.CallOption {
	return []gax.CallOption{s.clients.Bearer(c.AccessToken()), noClientRetry}
}

func (s *Submitter) submitBatch(ctx context.Context, cred credentials.Credential, req Request) (Submission, error) {
	t := req.Target
	id := ID(req.Key)
	labels := s.labels(req)
	sub := Submission{Kind: KindBatch, Project: t.Project, Region: t.Region, DataprocID: id, DataprocRequestID: id,
		Resource: fmt.Sprintf("projects/%s/locations/%s/batches/%s", t.Project, t.Region, id)}
	client, err := s.clients.Batches(ctx, t.Region)
	if err != nil {
		return Submission{}, clientFault(err)
	}
	create := &dataprocpb.CreateBatchRequest{
		Parent:    fmt.Sprintf("projects/%s/locations/%s", t.Project, t.Region),
		Batch:     buildBatch(req, cred.ServiceAccount, labels),
		BatchId:   id,
		RequestId: id,
	}
	var op *dataprocapi.CreateBatchOperation
	err = s.call(ctx, "dataproc.CreateBatch", t.Region, true, PrioritySubmit, func(ctx context.Context) error {
		var err error
		op, err = client.CreateBatch(ctx, create, s.opts(cred)...)
		return err
	})
	if status.Code(err) == codes.AlreadyExists {
		return s.adoptBatch(ctx, client, cred, sub, labels[LabelRequest])
	}
	if err != nil {
		return Submission{}, classify(err)
	}
	sub.Operation = op.Name()
	if md, err := op.Metadata(); err == nil {
		sub.UUID = md.GetBatchUuid()
	}
	return sub, nil
}

// adoptBatch returns the existing batch of a request delivered again after
// Dataproc forgot its request_id, after checking that it is this request's.
func (s *Submitter) adoptBatch(ctx context.Context, client BatchController, cred credentials.Credential, sub Submission, reqLabel string) (Submission, error) {
	var b *dataprocpb.Batch
	err := s.call(ctx, "dataproc.GetBatch", sub.Region, false, PrioritySubmit, func(ctx context.Context) error {
		var err error
		b, err = client.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: sub.Resource}, s.opts(cred)...)
		return err
	})
	if err != nil {
		return Submission{}, classify(err)
	}
	if b.GetLabels()[LabelRequest] != reqLabel || b.GetEnvironmentConfig().GetExecutionConfig().GetServiceAccount() != cred.ServiceAccount {
		return Submission{}, fault.Permanentf(ReasonIDConflict, "dataproc.CreateBatch: batch %s exists and is not this request's", sub.Resource)
	}
	sub.Operation, sub.UUID = b.GetOperation(), b.GetUuid()
	return sub, nil
}

func (s *Submitter) submitJob(ctx context.Context, cred credentials.Credential, req Request) (Submission, error) {
	t := req.Target
	id := ID(req.Key)
	labels := s.labels(req)
	sub := Submission{Kind: KindJob, Project: t.Project, Region: t.Region, DataprocID: id, DataprocRequestID: id,
		Resource: fmt.Sprintf("projects/%s/regions/%s/jobs/%s", t.Project, t.Region, id)}
	client, err := s.clients.Jobs(ctx, t.Region)
	if err != nil {
		return Submission{}, clientFault(err)
	}
	submit := &dataprocpb.SubmitJobRequest{ProjectId: t.Project, Region: t.Region, Job: buildJob(req, id, labels), RequestId: id}
	var job *dataprocpb.Job
	err = s.call(ctx, "dataproc.SubmitJob", t.Region, true, PrioritySubmit, func(ctx context.Context) error {
		var err error
		job, err = client.SubmitJob(ctx, submit, s.opts(cred)...)
		return err
	})
	if status.Code(err) == codes.AlreadyExists {
		// The job_id exists but Dataproc forgot the request_id: adopt it if it is ours.
		err = s.call(ctx, "dataproc.GetJob", t.Region, false, PrioritySubmit, func(ctx context.Context) error {
			var err error
			job, err = client.GetJob(ctx, &dataprocpb.GetJobRequest{ProjectId: t.Project, Region: t.Region, JobId: id}, s.opts(cred)...)
			return err
		})
		if err == nil && (job.GetLabels()[LabelRequest] != labels[LabelRequest] || job.GetPlacement().GetClusterName() != t.Cluster) {
			return Submission{}, fault.Permanentf(ReasonIDConflict, "dataproc.SubmitJob: job %s exists and is not this request's", sub.Resource)
		}
	}
	if err != nil {
		return Submission{}, classify(err)
	}
	sub.UUID = job.GetJobUuid()
	return sub, nil
}
