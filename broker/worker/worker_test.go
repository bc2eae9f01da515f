package worker_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
)

const wait = 10 * time.Second

func jobRequest(t *testing.T) event.Event {
	t.Helper()
	e, err := events.NewJobRequested("//test/pipeline", events.JobRequest{
		IDToken: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
		Target:  events.Target{Project: "analytics-prod", Region: "europe-west1"},
		Job:     events.JobSpec{Type: "pyspark", MainPythonURI: "gs://code/job.py"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func binary(attrs map[string]string, data string) events.Message {
	a := map[string]string{
		"ce-specversion": "1.0", "ce-id": "bad-1", "ce-source": "//test",
		"ce-type": events.JobRequested, "Content-Type": "application/json",
	}
	for k, v := range attrs {
		if v == "" {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	return events.Message{Data: []byte(data), Attributes: a}
}

// TestRejectsBadMessagesOnce publishes each kind of bad message and checks
// that it yields exactly one `event rejected` with its reason, is acked,
// and is never delivered again.
func TestRejectsBadMessagesOnce(t *testing.T) {
	tests := []struct {
		name   string
		msg    events.Message
		reason string
	}{
		{"not a CloudEvent", events.Message{Data: []byte("hello"), Attributes: map[string]string{}}, "not_cloudevent"},
		{"malformed JSON", binary(nil, `{"job":`), "malformed"},
		{"schema violation", binary(nil, `{"id_token":"secret-token-value","job":{"type":"cobol"}}`), "schema_violation"},
		{"unknown type", binary(map[string]string{"ce-type": "dev.dataproc-iis.job.exploded.v1"}, `{}`), "unknown_type"},
		{"oversized", binary(nil, `{"x":"`+strings.Repeat("a", events.MaxDataSize)+`"}`), "oversized"},
		{"wrong topic type", binary(map[string]string{"ce-type": events.JobApproved}, `{}`), ""},
	}
	env := brokertest.New(t)
	env.Start()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := env.Publish(env.Config.Topology.Requests, tt.msg)
			got := env.NextAudit(wait)
			if got.Type() != events.EventRejected {
				t.Fatalf("audit type = %s, want %s", got.Type(), events.EventRejected)
			}
			r, err := events.DecodeRejection(got)
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason != "" && r.Reason != tt.reason {
				t.Errorf("reason = %q (%s), want %q", r.Reason, r.Detail, tt.reason)
			}
			if r.MessageID != id {
				t.Errorf("message_id = %q, want %q", r.MessageID, id)
			}
			if strings.Contains(string(got.Data()), "secret-token-value") {
				t.Errorf("event rejected leaks the payload: %s", got.Data())
			}
			waitAcked(t, env.Server.Server, id, true)
		})
	}
	env.NoAudit(300 * time.Millisecond)
}

// waitAcked waits until pstest records an ack of message id and, with once
// set, checks that it was delivered exactly once. pstest offers no
// notification of acks, so this polls its state.
func waitAcked(t *testing.T, s *pstest.Server, id string, once bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if m := s.Message(id); m != nil && m.Acks > 0 {
			if once && m.Deliveries != 1 {
				t.Errorf("message %s delivered %d times, want 1", id, m.Deliveries)
			}
			return
		}
		time.Sleep(10 * time.Millisecond) // polling pstest's state: it has no notification
	}
	t.Fatalf("message %s not acked within %v", id, wait)
}

func TestDuplicateProcessedOnce(t *testing.T) {
	env := brokertest.New(t)
	var calls atomic.Int32
	handled := make(chan struct{}, 10)
	env.Broker.Router.Handle(events.JobRequested, worker.HandlerFunc(func(ctx context.Context, e event.Event) error {
		calls.Add(1)
		handled <- struct{}{}
		return nil
	}))
	env.Start()
	e := jobRequest(t)
	first := env.PublishEvent(e)
	<-handled
	waitAcked(t, env.Server.Server, first, true)
	second := env.PublishEvent(e) // same source and id: a redelivery by the publisher
	waitAcked(t, env.Server.Server, second, true)
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times for one event id, want 1", n)
	}
}

func TestPanickingHandlerDoesNotStopWorker(t *testing.T) {
	env := brokertest.New(t, func(c *service.Config) { c.Worker.MaxPanics = 2 })
	ok := make(chan string, 1)
	poison := jobRequest(t)
	env.Broker.Router.Handle(events.JobRequested, worker.HandlerFunc(func(ctx context.Context, e event.Event) error {
		if e.ID() == poison.ID() {
			panic("nil map write")
		}
		ok <- e.ID()
		return nil
	}))
	env.Start()
	id := env.PublishEvent(poison)
	// Each panic is audited; the last one is final and the message is acked.
	for i := 1; i <= 2; i++ {
		got := env.NextAudit(wait)
		r, err := events.DecodeRejection(got)
		if err != nil || r.Reason != "handler_panic" {
			t.Fatalf("panic %d: audit %s %+v (%v), want event rejected handler_panic", i, got.Type(), r, err)
		}
		if got.Extensions()[events.ExtCausationID] != poison.ID() {
			t.Errorf("causationid = %v, want %s", got.Extensions()[events.ExtCausationID], poison.ID())
		}
	}
	waitAcked(t, env.Server.Server, id, false)
	healthy := jobRequest(t)
	env.PublishEvent(healthy)
	select {
	case got := <-ok:
		if got != healthy.ID() {
			t.Errorf("handled %s, want %s", got, healthy.ID())
		}
	case <-time.After(wait):
		t.Fatal("worker stopped handling messages after a panic")
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	env := brokertest.New(t)
	started := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Bool
	env.Broker.Router.Handle(events.JobRequested, worker.HandlerFunc(func(ctx context.Context, e event.Event) error {
		close(started)
		<-release
		if ctx.Err() != nil {
			return ctx.Err()
		}
		finished.Store(true)
		return nil
	}))
	env.Start()
	id := env.PublishEvent(jobRequest(t))
	<-started
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); env.Stop() }()
	close(release) // the handler finishes after shutdown began
	wg.Wait()
	if !finished.Load() {
		t.Fatal("in-flight handler was cancelled by shutdown, want it drained")
	}
	if m := env.Server.Message(id); m == nil || m.Acks != 1 {
		t.Errorf("in-flight message acks = %v, want 1", m)
	}
}

func TestPermanentHandlerErrorIsAuditedAndAcked(t *testing.T) {
	env := brokertest.New(t)
	env.Broker.Router.Handle(events.JobRequested, worker.HandlerFunc(func(ctx context.Context, e event.Event) error {
		return fault.Permanentf("target_invalid", "region %q does not exist", "mars-1")
	}))
	env.Start()
	req := jobRequest(t)
	id := env.PublishEvent(req)
	got := env.NextAudit(wait)
	r, err := events.DecodeRejection(got)
	if err != nil || r.Reason != "target_invalid" {
		t.Fatalf("audit = %s %+v (%v), want event rejected target_invalid", got.Type(), r, err)
	}
	if got.Extensions()[events.ExtRequestID] != req.ID() {
		t.Errorf("requestid = %v, want %s", got.Extensions()[events.ExtRequestID], req.ID())
	}
	waitAcked(t, env.Server.Server, id, true)
}

func TestTransientHandlerErrorIsRedelivered(t *testing.T) {
	env := brokertest.New(t)
	var calls atomic.Int32
	done := make(chan struct{})
	env.Broker.Router.Handle(events.JobRequested, worker.HandlerFunc(func(ctx context.Context, e event.Event) error {
		if calls.Add(1) == 1 {
			return fault.AsTransient("store_unavailable", context.DeadlineExceeded)
		}
		close(done)
		return nil
	}))
	env.Start()
	env.PublishEvent(jobRequest(t))
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("transiently failed message was not redelivered")
	}
	env.NoAudit(200 * time.Millisecond)
}

func TestTransientFailureGivesUpAtMaxAttempts(t *testing.T) {
	env := brokertest.New(t, func(c *service.Config) {
		c.Worker.MaxAttempts = 3
		c.Topology.MaxDeliveryAttempts = 5 // pstest counts attempts only with a dead-letter policy
	})
	var calls atomic.Int32
	env.Broker.Router.Handle(events.JobRequested, worker.HandlerFunc(func(ctx context.Context, e event.Event) error {
		calls.Add(1)
		return fault.AsTransient("dataproc_unavailable", context.DeadlineExceeded)
	}))
	env.Start()
	req := jobRequest(t)
	id := env.PublishEvent(req)
	got := env.NextAudit(wait)
	r, err := events.DecodeRejection(got)
	if err != nil || r.Reason != "dataproc_unavailable" || !strings.Contains(r.Detail, "3 delivery attempts") {
		t.Fatalf("audit = %s %+v (%v), want event rejected dataproc_unavailable after 3 attempts", got.Type(), r, err)
	}
	waitAcked(t, env.Server.Server, id, false)
	if n := calls.Load(); n != 3 {
		t.Errorf("handler called %d times, want 3", n)
	}
}

// TestWrongSubscriptionRefused checks that each subscription carries only
// its own types: an identity event published where job requests go (which
// any pipeline may publish to) is refused and audited, never handled, and
// so is a job request on the identity subscription.
func TestWrongSubscriptionRefused(t *testing.T) {
	env := brokertest.New(t)
	var calls atomic.Int32
	count := worker.HandlerFunc(func(ctx context.Context, e event.Event) error { calls.Add(1); return nil })
	env.Broker.Router.Handle(events.UserDeactivated, count)
	env.Broker.Router.Handle(events.JobRequested, count)
	env.Start()
	leaver, err := events.NewUserDeactivated("//scim", events.UserChange{
		User: events.User{ID: "u-1", UserName: "victim@example.com", Active: false}, Locked: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		topic string
		ev    event.Event
	}{
		{"identity event on the requests topic", env.Config.Topology.Requests, leaver},
		{"job request on the identity topic", env.Config.Topology.Identity, jobRequest(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := events.Encode(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			id := env.Publish(tt.topic, m)
			got := env.NextAudit(wait)
			r, err := events.DecodeRejection(got)
			if err != nil || r.Reason != worker.ReasonWrongChannel {
				t.Fatalf("audit = %s %+v (%v), want event rejected %s", got.Type(), r, err, worker.ReasonWrongChannel)
			}
			waitAcked(t, env.Server.Server, id, true)
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handlers called %d times for events on the wrong subscription, want 0", n)
	}
}

// TestDuplicateWithAnotherBodyAudited checks that an event reusing a
// processed event's source and id with another body is audited as a
// conflict (once per body), not dropped as a duplicate.
func TestDuplicateWithAnotherBodyAudited(t *testing.T) {
	env := brokertest.New(t)
	var calls atomic.Int32
	handled := make(chan struct{}, 10)
	env.Broker.Router.Handle(events.JobRequested, worker.HandlerFunc(func(ctx context.Context, e event.Event) error {
		calls.Add(1)
		handled <- struct{}{}
		return nil
	}))
	env.Start()
	e := jobRequest(t)
	first := env.PublishEvent(e)
	<-handled
	waitAcked(t, env.Server.Server, first, true)

	other := e.Clone()
	if err := other.SetData(events.ContentType, map[string]any{
		"id_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "target": map[string]any{"project": "analytics-prod", "region": "europe-west1"},
		"job": map[string]any{"type": "pyspark", "main_python_uri": "gs://someone-else/job.py"},
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second copy is a redelivery of the conflict
		id := env.PublishEvent(other)
		waitAcked(t, env.Server.Server, id, true)
	}
	got := env.NextAudit(wait)
	r, err := events.DecodeRejection(got)
	if err != nil || r.Reason != worker.ReasonDuplicateConflict {
		t.Fatalf("audit = %s %+v (%v), want event rejected %s", got.Type(), r, err, worker.ReasonDuplicateConflict)
	}
	env.NoAudit(300 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
}
