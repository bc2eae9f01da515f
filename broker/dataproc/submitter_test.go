package dataproc

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestSubmitBatchToSuccess(t *testing.T) {
	e := newEnv(t, envConfig{})
	cred := e.mint(t, etlSA)
	got, err := e.sub.Submit(e.ctx, cred, sparkRequest("req-1", batchTarget))
	if err != nil {
		t.Fatalf("Submit() = %v", err)
	}
	id := ID("req-1")
	want := Submission{Kind: KindBatch, Project: project, Region: region, DataprocID: id, DataprocRequestID: id,
		Resource: "projects/iis-test/locations/us-central1/batches/" + id, UUID: got.UUID, Operation: got.Operation}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Submit() (-want +got):\n%s", diff)
	}
	if got.UUID == "" || !strings.HasPrefix(got.Operation, "projects/iis-test/regions/us-central1/operations/") {
		t.Errorf("Submit() = uuid %q, operation %q; want both set", got.UUID, got.Operation)
	}
	b, err := e.rawBatches(t).GetBatch(e.ctx, &dataprocpb.GetBatchRequest{Name: got.Resource}, e.as(cred)...)
	if err != nil {
		t.Fatalf("GetBatch() = %v", err)
	}
	if sa := b.GetEnvironmentConfig().GetExecutionConfig().GetServiceAccount(); sa != etlSA {
		t.Errorf("batch runs as %q, want %q", sa, etlSA)
	}
	wantLabels := map[string]string{"team": "data", LabelRequest: "req-1", LabelRole: "etl-runner",
		LabelPrincipal: PrincipalLabel([]byte("test-label-key"), "alice@example.com")}
	if diff := cmp.Diff(wantLabels, b.GetLabels()); diff != "" {
		t.Errorf("batch labels (-want +got):\n%s", diff)
	}
	steps := []struct {
		advance time.Duration
		state   string
		ended   bool
	}{
		{0, StatePending, false},
		{time.Minute, StateRunning, false},
		{10 * time.Minute, StateSucceeded, true},
	}
	for _, s := range steps {
		if state, ended, detail := e.stateAt(t, cred, got, s.advance); state != s.state || ended != s.ended {
			t.Errorf("State() after +%v = %q, %v (%s); want %q, %v", s.advance, state, ended, detail, s.state, s.ended)
		}
	}
}

func TestSubmitClusterJob(t *testing.T) {
	e := newEnv(t, envConfig{failure: func(w dataprocserver.Workload) string {
		if w.Labels["outcome"] == "fail" {
			return "Job failed with message [boom]"
		}
		return ""
	}})
	cred := e.mint(t, clusterSA)
	ok, err := e.sub.Submit(e.ctx, cred, sparkRequest("job-ok", jobTarget))
	if err != nil {
		t.Fatalf("Submit() = %v", err)
	}
	if ok.Kind != KindJob || ok.Resource != "projects/iis-test/regions/us-central1/jobs/"+ID("job-ok") || ok.UUID == "" {
		t.Errorf("Submit() = %+v, want a job named after ID(job-ok) with a uuid", ok)
	}
	failing := sparkRequest("job-fail", jobTarget)
	failing.Labels = map[string]string{"outcome": "fail"}
	bad, err := e.sub.Submit(e.ctx, cred, failing)
	if err != nil {
		t.Fatalf("Submit() = %v", err)
	}
	if state, _, _ := e.stateAt(t, cred, ok, time.Minute); state != StateRunning {
		t.Errorf("State() = %q, want running", state)
	}
	e.clock.Advance(10 * time.Minute)
	tests := []struct {
		sub    Submission
		state  string
		detail string
	}{
		{ok, StateSucceeded, "DONE"},
		{bad, StateFailed, "ERROR: Job failed with message [boom]"},
	}
	for _, tt := range tests {
		state, ended, detail, err := e.sub.State(e.ctx, cred, tt.sub)
		if err != nil || state != tt.state || !ended || detail != tt.detail {
			t.Errorf("State(%s) = %q, %v, %q, %v; want %q, true, %q", tt.sub.DataprocID, state, ended, detail, err, tt.state, tt.detail)
		}
	}
}

func TestSubmitRejectedCredentials(t *testing.T) {
	e := newEnv(t, envConfig{})
	etl := e.mint(t, etlSA)
	// A cluster job runs as the cluster's account; etl's token may not submit it.
	_, err := e.sub.Submit(e.ctx, etl, sparkRequest("wrong-sa", jobTarget))
	if !fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonDenied {
		t.Errorf("Submit(token for the wrong account) = %v, want permanent %s", err, ReasonDenied)
	}
	sub, err := e.sub.Submit(e.ctx, etl, sparkRequest("mine", batchTarget))
	if err != nil {
		t.Fatalf("Submit() = %v", err)
	}
	other := e.mint(t, otherSA)
	if _, _, _, err := e.sub.State(e.ctx, other, sub); fault.ReasonOf(err) != ReasonDenied {
		t.Errorf("State(token for another account) = %v, want %s", err, ReasonDenied)
	}
	broker, _, err := e.iam.Mint(brokerSA, []string{dataprocserver.CloudPlatformScope}, time.Hour)
	if err != nil {
		t.Fatalf("Mint(broker) = %v", err)
	}
	if _, _, _, err := e.sub.State(e.ctx, token(broker), sub); err != nil {
		t.Errorf("State(broker's own token) = %v, want success", err)
	}
	// The token lives 15 minutes: past that, Dataproc rejects it.
	e.clock.Advance(15 * time.Minute)
	_, _, _, err = e.sub.State(e.ctx, etl, sub)
	if fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonCredentialRejected {
		t.Errorf("State(expired token) = %v, want transient %s", err, ReasonCredentialRejected)
	}
	// The Submitter itself refuses a credential about to expire.
	e.sub.now = func() time.Time { return time.Now().Add(15 * time.Minute) }
	_, err = e.sub.Submit(e.ctx, etl, sparkRequest("late", batchTarget))
	if fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonCredentialExpired {
		t.Errorf("Submit(expiring credential) = %v, want transient %s", err, ReasonCredentialExpired)
	}
	if strings.Contains(err.Error(), etl.AccessToken()) {
		t.Errorf("error %q contains the token", err)
	}
}

func TestSubmitIsIdempotent(t *testing.T) {
	for _, target := range []Target{batchTarget, jobTarget} {
		t.Run(target.Cluster, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			sa := etlSA
			if target.Cluster != "" {
				sa = clusterSA
			}
			first, err := e.sub.Submit(e.ctx, e.mint(t, sa), sparkRequest("dup", target))
			if err != nil {
				t.Fatalf("Submit() = %v", err)
			}
			// A redelivery, with a fresh credential.
			second, err := e.sub.Submit(e.ctx, e.mint(t, sa), sparkRequest("dup", target))
			if err != nil {
				t.Fatalf("Submit(again) = %v", err)
			}
			if diff := cmp.Diff(first, second); diff != "" {
				t.Errorf("second Submit() differs (-first +second):\n%s", diff)
			}
			if got := e.srv.CreatedFor(ID("dup")); got != 1 {
				t.Errorf("server created %d workloads for the request, want 1", got)
			}
			c := e.srv.Counts()
			if c.JobsCreated+c.BatchesCreated != 1 || c.SubmitJob+c.CreateBatch != 2 {
				t.Errorf("Counts() = %+v, want 2 create calls and 1 workload", c)
			}
		})
	}
}

// forgetRequestIDs makes the server see a new request_id on every call, as
// when a redelivery comes after Dataproc's request_id window.
func forgetRequestIDs(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	switch r := req.(type) {
	case *dataprocpb.CreateBatchRequest:
		r.RequestId = ""
	case *dataprocpb.SubmitJobRequest:
		r.RequestId = ""
	}
	return h(ctx, req)
}

func TestSubmitAdoptsItsOwnWorkload(t *testing.T) {
	for _, target := range []Target{batchTarget, jobTarget} {
		t.Run(target.Cluster, func(t *testing.T) {
			e := newEnv(t, envConfig{dataproc: []grpc.UnaryServerInterceptor{forgetRequestIDs}})
			sa := etlSA
			if target.Cluster != "" {
				sa = clusterSA
			}
			cred := e.mint(t, sa)
			first, err := e.sub.Submit(e.ctx, cred, sparkRequest("late-dup", target))
			if err != nil {
				t.Fatalf("Submit() = %v", err)
			}
			second, err := e.sub.Submit(e.ctx, cred, sparkRequest("late-dup", target))
			if err != nil {
				t.Fatalf("Submit(again, request_id forgotten) = %v", err)
			}
			if diff := cmp.Diff(first, second); diff != "" {
				t.Errorf("second Submit() differs (-first +second):\n%s", diff)
			}
			if c := e.srv.Counts(); c.JobsCreated+c.BatchesCreated != 1 {
				t.Errorf("Counts() = %+v, want one workload", c)
			}
		})
	}
}

func TestSubmitRefusesForeignWorkload(t *testing.T) {
	e := newEnv(t, envConfig{})
	cred := e.mint(t, etlSA)
	// Someone else's batch already holds the id derived from our key.
	_, err := e.rawBatches(t).CreateBatch(e.ctx, &dataprocpb.CreateBatchRequest{
		Parent: "projects/iis-test/locations/us-central1", BatchId: ID("squatted"),
		Batch: buildBatch(sparkRequest("squatted", batchTarget), etlSA, map[string]string{LabelRequest: "someone-else"}),
	}, e.as(cred)...)
	if err != nil {
		t.Fatalf("CreateBatch() = %v", err)
	}
	_, err = e.sub.Submit(e.ctx, cred, sparkRequest("squatted", batchTarget))
	if !fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonIDConflict {
		t.Errorf("Submit(id taken by another workload) = %v, want permanent %s", err, ReasonIDConflict)
	}
}

// failFirst answers the first n calls of method with code.
func failFirst(method string, n int32, code codes.Code, calls *atomic.Int32) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if strings.HasSuffix(info.FullMethod, "/"+method) && calls.Add(1) <= n {
			return nil, status.Errorf(code, "injected %v", code)
		}
		return h(ctx, req)
	}
}

func TestSubmitRetries(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		target    Target
		fails     int32
		code      codes.Code
		calls     int32
		wantErr   bool
		permanent bool
		reason    string
	}{
		{"batch unavailable twice", "CreateBatch", batchTarget, 2, codes.Unavailable, 3, false, false, ""},
		{"job quota exhausted once", "SubmitJob", jobTarget, 1, codes.ResourceExhausted, 2, false, false, ""},
		{"batch unavailable throughout", "CreateBatch", batchTarget, 100, codes.Unavailable, 5, true, false, ReasonUnavailable},
		{"job invalid argument", "SubmitJob", jobTarget, 100, codes.InvalidArgument, 1, true, true, ReasonInvalidRequest},
		{"batch denied", "CreateBatch", batchTarget, 100, codes.PermissionDenied, 1, true, true, ReasonDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			e := newEnv(t, envConfig{dataproc: []grpc.UnaryServerInterceptor{failFirst(tt.method, tt.fails, tt.code, &calls)}})
			sa := etlSA
			if tt.target.Cluster != "" {
				sa = clusterSA
			}
			cred := e.mint(t, sa)
			_, err := e.sub.Submit(e.ctx, cred, sparkRequest("flaky", tt.target))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Submit() = %v, want error %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.calls {
				t.Errorf("Submit() made %d %s calls, want %d", got, tt.method, tt.calls)
			}
			if got := len(*e.waits); got != int(tt.calls)-1 {
				t.Errorf("Submit() backed off %d times, want %d", got, tt.calls-1)
			}
			if err != nil && (fault.IsPermanent(err) != tt.permanent || fault.ReasonOf(err) != tt.reason) {
				t.Errorf("Submit() = %v (permanent %v, %s), want permanent %v, %s",
					err, fault.IsPermanent(err), fault.ReasonOf(err), tt.permanent, tt.reason)
			}
			if strings.Contains(e.log.String(), cred.AccessToken()) || (err != nil && strings.Contains(err.Error(), cred.AccessToken())) {
				t.Error("the token appears in a log line or error")
			}
			if tt.calls > 1 && !strings.Contains(e.log.String(), "retrying") {
				t.Errorf("log = %s, want a retry line", e.log.String())
			}
		})
	}
}
