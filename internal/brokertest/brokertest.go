package brokertest

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/pubsubserver"
)

// Env is a running test broker.
type Env struct {
	T       testing.TB
	Server  *pubsubserver.Server
	Client  *pubsub.Client
	Pub     *transport.Publisher
	Broker  *service.Broker
	Config  service.Config
	Audit   chan event.Event // every event published to the audit topic, decoded
	Logs    *Logs            // every log line of the broker, at debug level
	Ctx     context.Context
	cancel  context.CancelFunc
	done    chan error
	started bool
}

// Option adjusts the configuration before the broker is built.
type Option func(*service.Config)

// New builds the environment; call Start after registering handlers on
// env.Broker.Router.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	srv, err := pubsubserver.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	logs := &Logs{}
	w := zerolog.MultiLevelWriter(logs, warnOnly{zerolog.NewTestWriter(t)})
	ctx = zerolog.New(w).Level(zerolog.DebugLevel).WithContext(ctx)
	c, err := transport.NewClient(ctx, "test", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cfg := service.Config{
		Name:     "test-worker",
		Store:    filepath.Join(t.TempDir(), "iis.db"),
		Topology: transport.DefaultTopology(),
		Worker:   worker.DefaultConfig(),
	}
	cfg.Worker.ShutdownTimeout = 10 * time.Second
	cfg.Relay.Interval = 50 * time.Millisecond
	for _, o := range opts {
		o(&cfg)
	}
	if err := transport.Ensure(ctx, c, cfg.Topology); err != nil {
		t.Fatal(err)
	}
	pub := transport.NewPublisher(c)
	t.Cleanup(pub.Stop)
	b, err := service.New(ctx, cfg, pub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	e := &Env{T: t, Server: srv, Client: c, Pub: pub, Broker: b, Config: cfg, Audit: make(chan event.Event, 1000), Logs: logs, Ctx: ctx, cancel: cancel, done: make(chan error, 1)}
	e.follow(cfg.Topology.Audit)
	t.Cleanup(e.Stop)
	return e
}

// follow subscribes to topic and decodes what arrives onto e.Audit.
func (e *Env) follow(topic string) {
	name := transport.SubscriptionName("test", "test-follow-"+topic)
	_, err := e.Client.SubscriptionAdminClient.CreateSubscription(e.Ctx, &pubsubpb.Subscription{
		Name: name, Topic: transport.TopicName("test", topic), AckDeadlineSeconds: 10,
	})
	if err != nil {
		e.T.Fatal(err)
	}
	go e.Client.Subscriber(name).Receive(e.Ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		ev, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			e.T.Errorf("audit topic carried an undecodable message: %v", err)
			return
		}
		e.Audit <- ev
	})
}

// Start runs the broker until Stop.
func (e *Env) Start() {
	e.started = true
	go func() { e.done <- e.Broker.Run(e.Ctx, e.Client) }()
}

// Stop shuts the broker down and waits for it to drain.
func (e *Env) Stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.cancel = nil
	if e.started {
		if err := <-e.done; err != nil {
			e.T.Errorf("Broker.Run() = %v", err)
		}
	}
}

// Publish sends an encoded event to topic through the real client.
func (e *Env) Publish(topic string, m events.Message) string {
	e.T.Helper()
	id, err := e.Pub.Publish(e.Ctx, topic, m)
	if err != nil {
		e.T.Fatal(err)
	}
	return id
}

// PublishEvent encodes ev and publishes it to the requests topic.
func (e *Env) PublishEvent(ev event.Event) string {
	e.T.Helper()
	m, err := events.Encode(ev)
	if err != nil {
		e.T.Fatal(err)
	}
	return e.Publish(e.Config.Topology.Requests, m)
}

// NextAudit waits for the next audit event, failing the test after timeout.
func (e *Env) NextAudit(timeout time.Duration) event.Event {
	e.T.Helper()
	select {
	case ev := <-e.Audit:
		return ev
	case <-time.After(timeout):
		e.T.Fatalf("no audit event within %v", timeout)
		return event.Event{}
	}
}

// NoAudit asserts that no audit event arrives within d.
func (e *Env) NoAudit(d time.Duration) {
	e.T.Helper()
	select {
	case ev := <-e.Audit:
		e.T.Errorf("unexpected audit event %s: %s", ev.Type(), ev.Data())
	case <-time.After(d):
	}
}

// Trail returns the audit events about request id from the store's audit
// chain, in chain (causal) order: what Pub/Sub delivered, minus delivery's
// reordering.
func (e *Env) Trail(requestID string) []event.Event {
	e.T.Helper()
	if _, err := audit.Sequence(e.Ctx, e.Broker.Store, 0); err != nil {
		e.T.Fatal(err)
	}
	recs, err := e.Broker.Store.AuditTrail(e.Ctx, 0, 0)
	if err != nil {
		e.T.Fatal(err)
	}
	var out []event.Event
	for _, r := range recs {
		ev, err := events.Decode(events.Message{Data: r.Data, Attributes: r.Attributes})
		if err != nil {
			e.T.Fatalf("audit record %d does not decode: %v", r.Seq, err)
		}
		if ev.Extensions()[events.ExtRequestID] == requestID {
			out = append(out, ev)
		}
	}
	return out
}

// Logs collects log lines for tests that scan them (for secrets).
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// warnOnly passes warnings and errors on to the test log.
type warnOnly struct{ w io.Writer }

func (w warnOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w warnOnly) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	if l < zerolog.WarnLevel {
		return len(p), nil
	}
	return w.w.Write(p)
}
