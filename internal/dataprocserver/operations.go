package dataprocserver

import (
	"context"
	"slices"
	"strings"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// GetOperation implements google.longrunning.Operations.
func (s *Server) GetOperation(ctx context.Context, req *longrunningpb.GetOperationRequest) (*longrunningpb.Operation, error) {
	rec, err := s.lookupOp(ctx, "dataproc.operations.get", req.GetName())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renderOp(rec)
}

// CancelOperation implements google.longrunning.Operations: it cancels the
// batch (or job) the operation tracks. An operation that is done cannot be
// cancelled (FailedPrecondition).
func (s *Server) CancelOperation(ctx context.Context, req *longrunningpb.CancelOperationRequest) (*emptypb.Empty, error) {
	rec, err := s.lookupOp(ctx, "dataproc.operations.cancel", req.GetName())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.counts.CancelOperation++
	if rec.cluster != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "Cluster operations cannot be cancelled here; delete the cluster instead.")
	}
	r, kind := s.runOf(rec)
	if r == nil {
		return nil, status.Errorf(codes.NotFound, "Not found: Operation %s", req.GetName())
	}
	if !r.cancel(s.clock.Now()) {
		return nil, status.Errorf(codes.FailedPrecondition, "Cannot cancel %s: it has already ended.", kind)
	}
	return &emptypb.Empty{}, nil
}

// ListOperations implements google.longrunning.Operations for
// "projects/{p}/regions/{r}/operations". Filters are not supported.
func (s *Server) ListOperations(ctx context.Context, req *longrunningpb.ListOperationsRequest) (*longrunningpb.ListOperationsResponse, error) {
	parts := strings.Split(req.GetName(), "/")
	if len(parts) != 5 || parts[0] != "projects" || parts[2] != "regions" || parts[4] != "operations" {
		return nil, invalid("Invalid operations collection %q: want projects/{project}/regions/{region}/operations.", req.GetName())
	}
	if err := checkLocation(parts[1], parts[3]); err != nil {
		return nil, err
	}
	if req.GetFilter() != "" {
		return nil, invalid("Operation filters are not supported.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name, rec := range s.state.ops {
		if rec.project != parts[1] || rec.region != parts[3] || !s.allowed(ctx, s.runsAs(rec)) {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	names, next, err := page(names, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &longrunningpb.ListOperationsResponse{NextPageToken: next}
	for _, name := range names {
		op, err := s.renderOp(s.state.ops[name])
		if err != nil {
			return nil, err
		}
		resp.Operations = append(resp.Operations, op)
	}
	return resp, nil
}

// SubmitJobAsOperation implements JobController: SubmitJob, answered with an
// operation that is done when the job ends.
func (s *Server) SubmitJobAsOperation(ctx context.Context, req *dataprocpb.SubmitJobRequest) (*longrunningpb.Operation, error) {
	rec, err := s.submit(ctx, req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.operation == "" {
		rec.operation = operationName(rec.project, rec.region, newUUID())
		s.state.ops[rec.operation] = opRec{project: rec.project, region: rec.region,
			job: jobKey(rec.project, rec.region, rec.job.GetReference().GetJobId())}
	}
	return s.renderOp(s.state.ops[rec.operation])
}

func (s *Server) lookupOp(ctx context.Context, permission, name string) (opRec, error) {
	if _, _, _, err := parseName(name, "regions", "operations"); err != nil {
		return opRec{}, err
	}
	s.mu.Lock()
	rec, ok := s.state.ops[name]
	runsAs := s.runsAs(rec)
	s.mu.Unlock()
	if !ok {
		return opRec{}, status.Errorf(codes.NotFound, "Not found: Operation %s", name)
	}
	if err := s.authorize(ctx, permission, runsAs); err != nil {
		return opRec{}, err
	}
	return rec, nil
}

// runOf returns the life of the workload an operation tracks. s.mu must be held.
func (s *Server) runOf(rec opRec) (*run, string) {
	if rec.batch != "" {
		if b, ok := s.state.batches[rec.batch]; ok {
			return &b.run, "batch"
		}
		return nil, "batch"
	}
	if j, ok := s.state.jobs[rec.job]; ok {
		return &j.run, "job"
	}
	return nil, "job"
}

// runsAs is the service account of the workload an operation tracks. s.mu must be held.
func (s *Server) runsAs(rec opRec) string {
	if rec.cluster != nil {
		return rec.cluster.runsAs
	}
	if b, ok := s.state.batches[rec.batch]; ok {
		return b.runsAs
	}
	if j, ok := s.state.jobs[rec.job]; ok {
		return j.runsAs
	}
	return ""
}

// renderOp builds the operation at the current time. s.mu must be held.
func (s *Server) renderOp(rec opRec) (*longrunningpb.Operation, error) {
	if c := rec.cluster; c != nil {
		name := c.createOp
		if rec.deletion {
			name = c.deleteOp
		}
		return s.renderClusterOp(c, name)
	}
	if rec.batch != "" {
		b, ok := s.state.batches[rec.batch]
		if !ok {
			return nil, status.Errorf(codes.NotFound, "Not found: Batch %s", rec.batch)
		}
		return s.renderBatchOp(b)
	}
	j, ok := s.state.jobs[rec.job]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Not found: Job %s", rec.job)
	}
	job := s.renderJob(j)
	cur := j.run.current(s.clock.Now())
	md := &dataprocpb.JobMetadata{JobId: job.GetReference().GetJobId(), Status: job.GetStatus(),
		OperationType: "job", StartTime: timestamppb.New(j.run.created)}
	return operation(j.operation, md, job, cur)
}

// renderBatchOp builds a batch's operation at the current time. s.mu must be held.
func (s *Server) renderBatchOp(rec *batchRec) (*longrunningpb.Operation, error) {
	batch := s.renderBatch(rec)
	cur := rec.run.current(s.clock.Now())
	md := &dataprocpb.BatchOperationMetadata{
		Batch: batch.GetName(), BatchUuid: batch.GetUuid(), CreateTime: batch.GetCreateTime(),
		OperationType: dataprocpb.BatchOperationMetadata_BATCH, Description: "Batch", Labels: batch.GetLabels(),
	}
	if cur.phase.terminal() {
		md.DoneTime = timestamppb.New(cur.at)
	}
	return operation(batch.GetOperation(), md, batch, cur)
}

func operation(name string, md, resp proto.Message, cur transition) (*longrunningpb.Operation, error) {
	mdAny, err := anypb.New(md)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "metadata: %v", err)
	}
	op := &longrunningpb.Operation{Name: name, Metadata: mdAny, Done: cur.phase.terminal()}
	switch cur.phase {
	case phaseSucceeded:
		r, err := anypb.New(resp)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "response: %v", err)
		}
		op.Result = &longrunningpb.Operation_Response{Response: r}
	case phaseFailed:
		op.Result = &longrunningpb.Operation_Error{Error: &spb.Status{Code: int32(codes.Internal), Message: cur.msg}}
	case phaseCancelled:
		op.Result = &longrunningpb.Operation_Error{Error: &spb.Status{Code: int32(codes.Canceled), Message: "Operation was cancelled."}}
	}
	return op, nil
}
