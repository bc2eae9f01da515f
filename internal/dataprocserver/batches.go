package dataprocserver

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var batchStates = map[phase]dataprocpb.Batch_State{
	phasePending:    dataprocpb.Batch_PENDING,
	phaseRunning:    dataprocpb.Batch_RUNNING,
	phaseCancelling: dataprocpb.Batch_CANCELLING,
	phaseSucceeded:  dataprocpb.Batch_SUCCEEDED,
	phaseFailed:     dataprocpb.Batch_FAILED,
	phaseCancelled:  dataprocpb.Batch_CANCELLED,
}

// CreateBatch implements BatchController. It returns the batch's long-running
// operation. An existing batch_id fails with AlreadyExists; a request_id seen
// before under the same parent returns the first batch's operation.
func (s *Server) CreateBatch(ctx context.Context, req *dataprocpb.CreateBatchRequest) (*longrunningpb.Operation, error) {
	project, region, err := parseParent(req.GetParent(), "locations")
	if err != nil {
		return nil, err
	}
	if err := checkRequestID(req.GetRequestId()); err != nil {
		return nil, err
	}
	id := req.GetBatchId()
	if id != "" && !batchIDRE.MatchString(id) {
		return nil, invalid("batch_id %q must be 4-63 characters of [a-z0-9-].", id)
	}
	batch := req.GetBatch()
	if batch == nil || batch.GetBatchConfig() == nil {
		return nil, invalid("A batch and its type (spark_batch, pyspark_batch, ...) are required.")
	}
	if err := checkLabels(batch.GetLabels()); err != nil {
		return nil, err
	}
	runsAs := batch.GetEnvironmentConfig().GetExecutionConfig().GetServiceAccount()
	if runsAs == "" {
		runsAs = s.defSA
	}
	if runsAs == "" {
		return nil, invalid("environment_config.execution_config.service_account is required (no default service account).")
	}
	if err := s.authorize(ctx, "dataproc.batches.create", runsAs); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.counts.CreateBatch++
	reqKey := req.GetParent() + "/" + req.GetRequestId()
	if req.GetRequestId() != "" {
		if name, ok := s.state.batchReqs[reqKey]; ok {
			return s.renderBatchOp(s.state.batches[name])
		}
	}
	if id == "" {
		id = newUUID()
	}
	name := batchName(project, region, id)
	if _, ok := s.state.batches[name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "Batch %s already exists.", name)
	}
	now := s.clock.Now()
	stored := proto.Clone(batch).(*dataprocpb.Batch)
	stored.Name = name
	stored.Uuid = newUUID()
	stored.CreateTime = timestamppb.New(now)
	stored.Creator = caller(ctx)
	stored.Operation = operationName(project, region, newUUID())
	stored.State, stored.StateMessage, stored.StateTime, stored.StateHistory = 0, "", nil, nil
	w := Workload{Kind: "batch", Project: project, Region: region, ID: id, ServiceAccount: runsAs, Labels: stored.GetLabels()}
	rec := &batchRec{batch: stored, project: project, region: region, runsAs: runsAs, requestID: req.GetRequestId(),
		run: run{created: now, timing: s.workloadTiming(w)}}
	if s.failure != nil {
		rec.run.failure = s.failure(w)
	}
	s.state.batches[name] = rec
	s.state.ops[stored.Operation] = opRec{project: project, region: region, batch: name}
	if req.GetRequestId() != "" {
		s.state.batchReqs[reqKey] = name
		s.state.createdFor[req.GetRequestId()]++
	}
	s.state.counts.BatchesCreated++
	return s.renderBatchOp(rec)
}

// GetBatch implements BatchController.
func (s *Server) GetBatch(ctx context.Context, req *dataprocpb.GetBatchRequest) (*dataprocpb.Batch, error) {
	rec, err := s.lookupBatch(ctx, "dataproc.batches.get", req.GetName())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renderBatch(rec), nil
}

// DeleteBatch implements BatchController: only a batch that has ended can be deleted.
func (s *Server) DeleteBatch(ctx context.Context, req *dataprocpb.DeleteBatchRequest) (*emptypb.Empty, error) {
	rec, err := s.lookupBatch(ctx, "dataproc.batches.delete", req.GetName())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := rec.run.current(s.clock.Now()); !cur.phase.terminal() {
		return nil, status.Errorf(codes.FailedPrecondition, "Batch %s is in state %s and cannot be deleted.", req.GetName(), batchStates[cur.phase])
	}
	delete(s.state.batches, req.GetName())
	delete(s.state.ops, rec.batch.GetOperation())
	if rec.requestID != "" {
		delete(s.state.batchReqs, "projects/"+rec.project+"/locations/"+rec.region+"/"+rec.requestID)
	}
	return &emptypb.Empty{}, nil
}

// ListBatches implements BatchController with the documented filter fields
// batch_id, batch_uuid, state, create_time and labels.KEY, and the orders ""
// (oldest first) and "create_time desc". Only batches the caller may see are listed.
func (s *Server) ListBatches(ctx context.Context, req *dataprocpb.ListBatchesRequest) (*dataprocpb.ListBatchesResponse, error) {
	project, region, err := parseParent(req.GetParent(), "locations")
	if err != nil {
		return nil, err
	}
	clauses, err := parseFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	if err := checkFields(clauses, "batch_id", "batch_uuid", "state", "create_time"); err != nil {
		return nil, err
	}
	desc := false
	switch req.GetOrderBy() {
	case "":
	case "create_time desc":
		desc = true
	default:
		return nil, invalid("Unsupported order_by %q.", req.GetOrderBy())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var recs []*batchRec
	for _, rec := range s.state.batches {
		if rec.project != project || rec.region != region || !s.allowed(ctx, rec.runsAs) {
			continue
		}
		ok, err := matches(clauses, func(field string) (string, bool, bool) {
			switch field {
			case "batch_id":
				return rec.batch.GetName()[strings.LastIndexByte(rec.batch.GetName(), '/')+1:], true, true
			case "batch_uuid":
				return rec.batch.GetUuid(), true, true
			case "state":
				return batchStates[rec.run.current(now).phase].String(), true, true
			case "create_time":
				return rec.run.created.Format(time.RFC3339Nano), true, true
			}
			v, present := rec.batch.GetLabels()[strings.TrimPrefix(field, "labels.")]
			return v, present, true
		}, "create_time")
		if err != nil {
			return nil, err
		}
		if ok {
			recs = append(recs, rec)
		}
	}
	slices.SortFunc(recs, func(a, b *batchRec) int {
		c := cmp.Or(a.run.created.Compare(b.run.created), strings.Compare(a.batch.GetName(), b.batch.GetName()))
		if desc {
			return -c
		}
		return c
	})
	recs, next, err := page(recs, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &dataprocpb.ListBatchesResponse{NextPageToken: next}
	for _, rec := range recs {
		resp.Batches = append(resp.Batches, s.renderBatch(rec))
	}
	return resp, nil
}

func (s *Server) lookupBatch(ctx context.Context, permission, name string) (*batchRec, error) {
	if _, _, _, err := parseName(name, "locations", "batches"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	rec, ok := s.state.batches[name]
	s.mu.Unlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Not found: Batch %s", name)
	}
	if err := s.authorize(ctx, permission, rec.runsAs); err != nil {
		return nil, err
	}
	return rec, nil
}

// renderBatch returns a copy of the batch with its state at the current
// time. s.mu must be held.
func (s *Server) renderBatch(rec *batchRec) *dataprocpb.Batch {
	b := proto.Clone(rec.batch).(*dataprocpb.Batch)
	h := rec.run.history(s.clock.Now())
	for _, t := range h[:len(h)-1] {
		b.StateHistory = append(b.StateHistory, &dataprocpb.Batch_StateHistory{
			State: batchStates[t.phase], StateMessage: t.msg, StateStartTime: timestamppb.New(t.at)})
	}
	cur := h[len(h)-1]
	b.State, b.StateMessage, b.StateTime = batchStates[cur.phase], cur.msg, timestamppb.New(cur.at)
	return b
}
