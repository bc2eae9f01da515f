package dataprocserver

import (
	"context"
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestBatchLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	as := e.as(t, etlSA)
	op, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
		Parent: parent(), BatchId: "iis-0123abcd", RequestId: "req-1",
		Batch: sparkBatch(etlSA, map[string]string{"iis-request": "r1"}),
	}, as...)
	if err != nil {
		t.Fatalf("CreateBatch() = %v", err)
	}
	name := parent() + "/batches/iis-0123abcd"
	md, err := op.Metadata()
	if err != nil || md.GetBatch() != name {
		t.Fatalf("CreateBatch() metadata = %v, %v; want batch %s", md, err, name)
	}
	steps := []struct {
		advance time.Duration
		want    dataprocpb.Batch_State
		done    bool
	}{
		{0, dataprocpb.Batch_PENDING, false},
		{time.Minute, dataprocpb.Batch_RUNNING, false},
		{9 * time.Minute, dataprocpb.Batch_RUNNING, false},
		{time.Minute, dataprocpb.Batch_SUCCEEDED, true},
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		b, err := e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: name}, as...)
		if err != nil {
			t.Fatalf("GetBatch() = %v", err)
		}
		if b.GetState() != s.want {
			t.Errorf("GetBatch() state at +%v = %v, want %v", e.clock.Now().Sub(epoch), b.GetState(), s.want)
		}
		got, err := e.batches.GetOperation(ctx, &longrunningpb.GetOperationRequest{Name: b.GetOperation()}, as...)
		if err != nil {
			t.Fatalf("GetOperation() = %v", err)
		}
		if got.GetDone() != s.done {
			t.Errorf("GetOperation() done at +%v = %v, want %v", e.clock.Now().Sub(epoch), got.GetDone(), s.done)
		}
	}
	b, _ := e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: name}, as...)
	if len(b.GetStateHistory()) != 2 || b.GetCreator() != etlSA || b.GetUuid() == "" {
		t.Errorf("GetBatch() = history %v, creator %q, uuid %q; want 2 previous states, creator %s, a uuid",
			b.GetStateHistory(), b.GetCreator(), b.GetUuid(), etlSA)
	}
	if got := e.srv.Counts(); got.CreateBatch != 1 || got.BatchesCreated != 1 {
		t.Errorf("Counts() = %+v, want one CreateBatch creating one batch", got)
	}
}

func TestBatchFailure(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Failure = func(w Workload) string {
			if w.Labels["fail"] == "yes" {
				return "Job failed with message [boom]"
			}
			return ""
		}
	})
	ctx := context.Background()
	as := e.as(t, etlSA)
	if _, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
		Parent: parent(), BatchId: "fails", Batch: sparkBatch(etlSA, map[string]string{"fail": "yes"}),
	}, as...); err != nil {
		t.Fatalf("CreateBatch() = %v", err)
	}
	e.clock.Advance(15 * time.Minute)
	b, err := e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: parent() + "/batches/fails"}, as...)
	if err != nil {
		t.Fatalf("GetBatch() = %v", err)
	}
	if b.GetState() != dataprocpb.Batch_FAILED || b.GetStateMessage() != "Job failed with message [boom]" {
		t.Errorf("GetBatch() = %v %q, want FAILED with the configured message", b.GetState(), b.GetStateMessage())
	}
	op, err := e.batches.GetOperation(ctx, &longrunningpb.GetOperationRequest{Name: b.GetOperation()}, as...)
	if err != nil || !op.GetDone() || op.GetError().GetCode() != int32(codes.Internal) {
		t.Errorf("GetOperation() = %v, %v; want done with an error", op, err)
	}
}

func TestCreateBatchIdempotency(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	as := e.as(t, etlSA)
	create := func(id, reqID string) (string, error) {
		op, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
			Parent: parent(), BatchId: id, RequestId: reqID, Batch: sparkBatch(etlSA, nil),
		}, as...)
		if err != nil {
			return "", err
		}
		return op.Name(), nil
	}
	first, err := create("batch-one", "req-a")
	if err != nil {
		t.Fatalf("CreateBatch() = %v", err)
	}
	again, err := create("batch-one", "req-a")
	if err != nil || again != first {
		t.Errorf("CreateBatch(same request_id) = %q, %v; want the first operation %q", again, err, first)
	}
	if _, err := create("batch-one", "req-b"); status.Code(err) != codes.AlreadyExists {
		t.Errorf("CreateBatch(existing batch_id) = %v, want AlreadyExists", err)
	}
	if got := e.srv.CreatedFor("req-a"); got != 1 {
		t.Errorf("CreatedFor(req-a) = %d, want 1", got)
	}
	if got := e.srv.Counts(); got.CreateBatch != 3 || got.BatchesCreated != 1 {
		t.Errorf("Counts() = %+v, want 3 CreateBatch calls creating 1 batch", got)
	}
}

func TestCancelBatch(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	as := e.as(t, etlSA)
	op, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
		Parent: parent(), BatchId: "to-cancel", Batch: sparkBatch(etlSA, nil)}, as...)
	if err != nil {
		t.Fatalf("CreateBatch() = %v", err)
	}
	e.clock.Advance(2 * time.Minute)
	if err := e.batches.CancelOperation(ctx, &longrunningpb.CancelOperationRequest{Name: op.Name()}, as...); err != nil {
		t.Fatalf("CancelOperation() = %v", err)
	}
	name := parent() + "/batches/to-cancel"
	b, _ := e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: name}, as...)
	if b.GetState() != dataprocpb.Batch_CANCELLING {
		t.Errorf("GetBatch() after cancel = %v, want CANCELLING", b.GetState())
	}
	e.clock.Advance(30 * time.Second)
	b, _ = e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: name}, as...)
	if b.GetState() != dataprocpb.Batch_CANCELLED {
		t.Errorf("GetBatch() after the cancel delay = %v, want CANCELLED", b.GetState())
	}
	got, _ := e.batches.GetOperation(ctx, &longrunningpb.GetOperationRequest{Name: op.Name()}, as...)
	if !got.GetDone() || got.GetError().GetCode() != int32(codes.Canceled) {
		t.Errorf("GetOperation() = %v, want done with code Canceled", got)
	}
	err = e.batches.CancelOperation(ctx, &longrunningpb.CancelOperationRequest{Name: op.Name()}, as...)
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("CancelOperation(cancelled batch) = %v, want FailedPrecondition", err)
	}
	if got := e.srv.Counts().CancelOperation; got != 2 {
		t.Errorf("Counts().CancelOperation = %d, want 2", got)
	}
	if err := e.batches.DeleteBatch(ctx, &dataprocpb.DeleteBatchRequest{Name: name}, as...); err != nil {
		t.Errorf("DeleteBatch(ended) = %v", err)
	}
	if _, err := e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: name}, as...); status.Code(err) != codes.NotFound {
		t.Errorf("GetBatch(deleted) = %v, want NotFound", err)
	}
}

func TestListBatches(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	etl, other := e.as(t, etlSA), e.as(t, otherSA)
	for i, id := range []string{"b-one", "b-two", "b-three"} {
		labels := map[string]string{"iis-request": id}
		if _, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
			Parent: parent(), BatchId: id, Batch: sparkBatch(etlSA, labels)}, etl...); err != nil {
			t.Fatalf("CreateBatch(%s) = %v", id, err)
		}
		e.clock.Advance(time.Second)
		if i == 0 {
			e.clock.Advance(15 * time.Minute) // b-one has succeeded by the time the others run
		}
	}
	if _, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
		Parent: parent(), BatchId: "not-mine", Batch: sparkBatch(otherSA, nil)}, other...); err != nil {
		t.Fatalf("CreateBatch(not-mine) = %v", err)
	}
	e.clock.Advance(time.Minute)
	list := func(filter, order string, pageSize int32) ([]string, error) {
		it := e.batches.ListBatches(ctx, &dataprocpb.ListBatchesRequest{
			Parent: parent(), Filter: filter, OrderBy: order, PageSize: pageSize}, etl...)
		var ids []string
		for {
			b, err := it.Next()
			if err == iterator.Done {
				return ids, nil
			}
			if err != nil {
				return nil, err
			}
			ids = append(ids, b.GetName()[len(parent()+"/batches/"):])
		}
	}
	tests := []struct {
		filter, order string
		want          []string
		code          codes.Code
	}{
		{"", "", []string{"b-one", "b-two", "b-three"}, codes.OK},
		{"", "create_time desc", []string{"b-three", "b-two", "b-one"}, codes.OK},
		{"state = RUNNING", "", []string{"b-two", "b-three"}, codes.OK},
		{"state = RUNNING AND labels.iis-request = b-two", "", []string{"b-two"}, codes.OK},
		{"batch_id = b-one", "", []string{"b-one"}, codes.OK},
		{`create_time < "` + epoch.Add(time.Minute).Format(time.RFC3339) + `"`, "", []string{"b-one"}, codes.OK},
		{"labels.iis-request = *", "", []string{"b-one", "b-two", "b-three"}, codes.OK},
		{"state = RUNNING OR state = PENDING", "", nil, codes.InvalidArgument},
		{"creator = x", "", nil, codes.InvalidArgument},
		{"", "name", nil, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.filter+"/"+tt.order, func(t *testing.T) {
			for _, size := range []int32{0, 1} {
				got, err := list(tt.filter, tt.order, size)
				if status.Code(err) != tt.code {
					t.Fatalf("ListBatches(%q, %q, size %d) = %v, want code %v", tt.filter, tt.order, size, err, tt.code)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("ListBatches(%q, %q, size %d) = %v, want %v", tt.filter, tt.order, size, got, tt.want)
				}
			}
		})
	}
}

func TestTimingFor(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.TimingFor = func(w Workload) Timing {
			if w.Labels["long"] == "yes" {
				return Timing{Pending: time.Minute, Running: time.Hour}
			}
			return Timing{}
		}
	})
	ctx := context.Background()
	as := e.as(t, etlSA)
	for _, id := range []string{"long", "short"} {
		if _, err := e.batches.CreateBatch(ctx, &dataprocpb.CreateBatchRequest{
			Parent: parent(), BatchId: id, Batch: sparkBatch(etlSA, map[string]string{"long": map[string]string{"long": "yes"}[id]}),
		}, as...); err != nil {
			t.Fatalf("CreateBatch(%s) = %v", id, err)
		}
	}
	e.clock.Advance(15 * time.Minute)
	for id, want := range map[string]dataprocpb.Batch_State{"long": dataprocpb.Batch_RUNNING, "short": dataprocpb.Batch_SUCCEEDED} {
		b, err := e.batches.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: parent() + "/batches/" + id}, as...)
		if err != nil || b.GetState() != want {
			t.Errorf("GetBatch(%s) at +15m = %v, %v; want %v", id, b.GetState(), err, want)
		}
	}
}
