package request_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/telemetry/telemetrytest"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// failFirst fails the first n calls of method with code.
func failFirst(method string, n int32, code codes.Code) grpc.UnaryServerInterceptor {
	var calls atomic.Int32
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if strings.HasSuffix(info.FullMethod, "/"+method) && calls.Add(1) <= n {
			return nil, status.Error(code, "injected")
		}
		return h(ctx, req)
	}
}

// loseResponse runs method on the server, then reports Unavailable to the
// caller the first n times: the workload exists, the broker does not know.
// It is the crash window between submit and record.
func loseResponse(method string, n int32) grpc.UnaryServerInterceptor {
	var calls atomic.Int32
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if strings.HasSuffix(info.FullMethod, "/"+method) && calls.Add(1) <= n {
			return nil, status.Error(codes.Unavailable, "injected: connection reset after the call")
		}
		return resp, err
	}
}

func startWith(t *testing.T, timing dataprocserver.Timing, stackOpt func(*devstack.Config), opts ...brokertest.Option) (*brokertest.Env, *brokertest.Stack) {
	t.Helper()
	stack := brokertest.NewStack(t, policyYAML, timing, stackOpt)
	env := brokertest.New(t, append([]brokertest.Option{stack.Option()}, opts...)...)
	env.ImportDirectory(directoryYAML)
	env.Start()
	return env, stack
}

func TestIAMFaults(t *testing.T) {
	t.Run("unavailable then recovers", func(t *testing.T) {
		env, stack := startWith(t, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: 50 * time.Millisecond},
			func(c *devstack.Config) {
				c.IAMInterceptors = []grpc.UnaryServerInterceptor{failFirst("GenerateAccessToken", 2, codes.Unavailable)}
			})
		req := jobRequest(t, stack.Token("alice@example.com"), "")
		env.PublishEvent(req)
		got := collect(t, env, req.ID(), ended)
		if tr := trail(env.Trail(req.ID())); !strings.Contains(tr, "credential.issued") || !strings.Contains(tr, "SUCCEEDED") {
			t.Errorf("trail = %s (delivered %s), want the job to run after IAM recovers", tr, trail(got))
		}
	})
	t.Run("permission denied", func(t *testing.T) {
		env, stack := startWith(t, dataprocserver.Timing{}, func(c *devstack.Config) {
			c.IAMInterceptors = []grpc.UnaryServerInterceptor{failFirst("GenerateAccessToken", 1000, codes.PermissionDenied)}
		})
		req := jobRequest(t, stack.Token("alice@example.com"), "")
		env.PublishEvent(req)
		got := collect(t, env, req.ID(), ended)
		r, err := events.DecodeRejection(got[len(got)-1])
		if err != nil || r.Reason != "credential_denied" {
			t.Errorf("trail = %s, want event rejected credential_denied", trail(got))
		}
		if n := stack.Dataproc.Counts().CreateBatch; n != 0 {
			t.Errorf("CreateBatch calls = %d without a credential, want 0", n)
		}
	})
}

func TestDataprocUnavailableEndsInAuditEvent(t *testing.T) {
	env, stack := startWith(t, dataprocserver.Timing{}, func(c *devstack.Config) {
		c.DataprocInterceptors = []grpc.UnaryServerInterceptor{failFirst("CreateBatch", 1<<30, codes.Unavailable)}
	}, func(c *service.Config) {
		c.Worker.MaxAttempts = 2
		c.Topology.MaxDeliveryAttempts = 5
	})
	req := jobRequest(t, stack.Token("alice@example.com"), "")
	env.PublishEvent(req)
	got := collect(t, env, req.ID(), func(e event.Event) bool { return e.Type() == events.EventRejected })
	r, _ := events.DecodeRejection(got[len(got)-1])
	if r.Reason != "dataproc_unavailable" {
		t.Errorf("trail = %s (%+v), want event rejected dataproc_unavailable", trail(got), r)
	}
}

// TestCrashBetweenSubmitAndRecordLeavesOneJob loses Dataproc's answer after
// the workload was created, for a batch and for a cluster job: the broker
// retries with the same ids and ends with exactly one workload.
func TestCrashBetweenSubmitAndRecordLeavesOneJob(t *testing.T) {
	for _, cluster := range []string{"", "etl-cluster"} {
		t.Run("cluster="+cluster, func(t *testing.T) {
			env, stack := startWith(t, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: 50 * time.Millisecond},
				func(c *devstack.Config) {
					c.DataprocInterceptors = []grpc.UnaryServerInterceptor{loseResponse("CreateBatch", 1), loseResponse("SubmitJob", 1)}
				})
			req := jobRequest(t, stack.Token("alice@example.com"), cluster)
			env.PublishEvent(req)
			collect(t, env, req.ID(), ended)
			got := env.Trail(req.ID())
			if n := stack.Dataproc.CreatedFor(dataprocRequestID(t, got)); n != 1 {
				t.Errorf("workloads = %d, want 1 (trail %s)", n, trail(got))
			}
		})
	}
}

// TestWatcherResumesAfterRestart stops the broker while a job runs and
// starts a new one on the same store: it picks the job up and sees it end.
func TestWatcherResumesAfterRestart(t *testing.T) {
	stack := brokertest.NewStack(t, policyYAML, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: 700 * time.Millisecond})
	dbPath := filepath.Join(t.TempDir(), "iis.db")
	useDB := func(c *service.Config) { c.Store = dbPath }
	first := brokertest.New(t, stack.Option(), useDB)
	first.ImportDirectory(directoryYAML)
	first.Start()
	req := jobRequest(t, stack.Token("alice@example.com"), "")
	first.PublishEvent(req)
	collect(t, first, req.ID(), func(e event.Event) bool {
		sc, err := events.DecodeStateChange(e)
		return err == nil && sc.State == "RUNNING"
	})
	first.Stop()
	first.Broker.Close()

	second := brokertest.New(t, stack.Option(), useDB)
	second.Start()
	got := collect(t, second, req.ID(), ended)
	if last, _ := events.DecodeStateChange(got[len(got)-1]); last.State != "SUCCEEDED" {
		t.Errorf("after restart: %s, want SUCCEEDED", trail(got))
	}
}

// TestNoSecretAnywhere runs a job and a denial, then scans every log line,
// every audit event, the database files, every span (names, attributes,
// events, status) and every metric label (the /metrics text) for the ID
// token and for any access token the local IAM server minted ("iisdev."
// prefix).
func TestNoSecretAnywhere(t *testing.T) {
	rec := telemetrytest.Install(t)
	stack := brokertest.NewStack(t, policyYAML, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: 50 * time.Millisecond})
	dir := t.TempDir()
	env := brokertest.New(t, stack.Option(), func(c *service.Config) { c.Store = filepath.Join(dir, "iis.db") })
	env.ImportDirectory(directoryYAML)
	env.Start()
	alice, bob := stack.Token("alice@example.com"), stack.Token("bob@example.com")
	// A secret-looking Spark property: its value must stay out of every
	// decision event (alice's is denied for the property, bob's because he
	// left).
	const s3Secret = "S3-SECRET-VALUE-MUST-NOT-LEAK"
	withSecret := func(tok string) event.Event {
		req, err := events.NewJobRequested("//airflow/dag/nightly", events.JobRequest{
			IDToken: tok,
			Target:  events.Target{Project: "iis-dev", Region: "europe-west1"},
			Job: events.JobSpec{Type: "pyspark", MainPythonURI: "gs://iis-dev-code/etl.py",
				Properties: map[string]string{"spark.hadoop.fs.s3a.secret.key": s3Secret}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	for _, req := range []event.Event{jobRequest(t, alice, ""), withSecret(alice), withSecret(bob)} {
		env.PublishEvent(req)
		collect(t, env, req.ID(), ended)
	}
	env.Stop()
	places := map[string]string{"logs": env.Logs.String()}
	for _, r := range mustTrail(t, env) {
		places["audit record "+strconv.Itoa(len(places))] = r
	}
	spans := rec.Spans.GetSpans()
	for i, s := range spans {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		places["span "+strconv.Itoa(i)+" "+s.Name] = string(b)
	}
	scrape := httptest.NewRecorder()
	rec.Handler().ServeHTTP(scrape, httptest.NewRequest("GET", "/metrics", nil))
	places["metrics"] = scrape.Body.String()
	files, _ := filepath.Glob(filepath.Join(dir, "iis.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		places[f] = string(b)
	}
	for where, text := range places {
		for _, secret := range []string{alice, bob, strings.Split(alice, ".")[2], "iisdev.", s3Secret} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains a secret (%.12s...)", where, secret)
			}
		}
	}
	if !strings.Contains(env.Logs.String(), "credential issued") {
		t.Error("the logs do not mention the issued credential: the scan saw nothing")
	}
	if len(spans) < 10 || !strings.Contains(places["metrics"], "iis_credential_mints_total") {
		t.Errorf("%d spans and metrics %.200q: the scan saw nothing", len(spans), places["metrics"])
	}
}

func mustTrail(t *testing.T, env *brokertest.Env) []string {
	t.Helper()
	recs, err := env.Broker.Store.AuditTrail(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		var b strings.Builder
		for k, v := range r.Attributes {
			b.WriteString(k + "=" + v + "\n")
		}
		b.Write(r.Data)
		out = append(out, b.String())
	}
	return out
}

// TestSameIDOtherBodyIsRefused: while an approved request is still being
// retried, an event reusing its source and id with another body (and a
// junk token) must not inherit the approval.
func TestSameIDOtherBodyIsRefused(t *testing.T) {
	env, stack := startWith(t, dataprocserver.Timing{}, func(c *devstack.Config) {
		c.DataprocInterceptors = []grpc.UnaryServerInterceptor{failFirst("CreateBatch", 1<<30, codes.Unavailable)}
	}, func(c *service.Config) { c.Worker.MaxAttempts = 0 })
	req := jobRequest(t, stack.Token("alice@example.com"), "")
	env.PublishEvent(req)
	collect(t, env, req.ID(), func(e event.Event) bool { return e.Type() == events.CredentialIssued })

	forged, err := events.NewJobRequested(req.Source(), events.JobRequest{
		IDToken: "aaaaaaaaaa.bbbbbbbbbb.cccccccccc",
		Target:  events.Target{Project: "iis-dev", Region: "europe-west1"},
		Job:     events.JobSpec{Type: "pyspark", MainPythonURI: "gs://attacker-bucket/evil.py"},
	}, events.WithID(req.ID()))
	if err != nil {
		t.Fatal(err)
	}
	env.PublishEvent(forged)
	got := collect(t, env, req.ID(), func(e event.Event) bool { return e.Type() == events.EventRejected })
	if r, _ := events.DecodeRejection(got[len(got)-1]); r.Reason != "request_conflict" {
		t.Errorf("forged event: %s (%+v), want event rejected request_conflict", trail(got), r)
	}
	for _, e := range env.Trail(req.ID()) {
		if e.Type() == events.JobSubmitted {
			t.Errorf("a job was submitted: %s", e.Data())
		}
	}
}
