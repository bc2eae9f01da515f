package throughput

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/pubsubserver"
)

// mode is what handles the requests.
type mode string

const (
	// transportOnly is a bare subscriber: decode, publish one event, ack.
	transportOnly mode = "transport"
	// noop is the broker (dedupe, store, outbox relay) with a handler that
	// audits one job.denied per request and decides nothing.
	noop mode = "noop"
	// decide is the decision path: token, directory, policy, recorded
	// decision and its audit event.
	decide mode = "decide"
	// execute decides, then mints a credential, submits the job to the
	// local Dataproc server and watches it, as `iis serve` does.
	execute mode = "execute"
)

const (
	project = "iis-bench"
	source  = "//dataproc-iis/bench"
	users   = 50
)

// rig is a running broker (or transport) with a publisher of requests and
// a subscriber that reports each decision's request id.
type rig struct {
	tb       testing.TB
	ctx      context.Context
	topo     transport.Topology
	pub      *transport.Publisher
	decided  chan string
	tokens   []string
	sequence int

	cfg     rigConfig
	brokers []*service.Broker
	// Followed besides decisions (mass leaver): workloads that reached
	// RUNNING, revocations, and when each job.submitted event was made.
	running   chan string
	revoked   chan events.Revocation
	mu        sync.Mutex
	submitted []time.Time
}

// rigConfig is what a benchmark may change about a rig.
type rigConfig struct {
	users     int                   // principals in data-eng (default 50)
	timing    dataprocserver.Timing // local Dataproc timing
	perMinute int                   // Dataproc calls per minute per region and worker
}

// rigOption changes a rigConfig.
type rigOption func(*rigConfig)

// newRig starts pstest, the stand-ins and the workers; everything stops
// when the test or benchmark ends. backend is "sqlite" or "postgres"
// (ignored for transportOnly).
func newRig(tb testing.TB, m mode, backend string, workers int, opts ...rigOption) *rig {
	tb.Helper()
	cfg := rigConfig{users: users, perMinute: 1_000_000,
		timing: dataprocserver.Timing{Pending: 50 * time.Millisecond, Running: 500 * time.Millisecond, Cancel: 100 * time.Millisecond}}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ctx = zerolog.New(zerolog.NewTestWriter(tb)).Level(zerolog.ErrorLevel).WithContext(ctx)
	tb.Cleanup(cancel)
	srv, err := pubsubserver.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	r := &rig{tb: tb, ctx: ctx, topo: transport.DefaultTopology(), decided: make(chan string, 1<<16), cfg: cfg,
		running: make(chan string, 1<<16), revoked: make(chan events.Revocation, 1<<12)}
	c := r.client(srv.Addr)
	if err := transport.Ensure(ctx, c, r.topo); err != nil {
		tb.Fatal(err)
	}
	r.pub = transport.NewPublisher(c)
	tb.Cleanup(r.pub.Stop)
	r.follow(c)

	stack := brokertest.NewStack(tb, policyYAML, cfg.timing)
	for i := range cfg.users {
		r.tokens = append(r.tokens, stack.Token(user(i)))
	}
	if m == transportOnly {
		for range workers {
			r.republish(r.client(srv.Addr))
		}
		return r
	}
	storeURL := filepath.Join(tb.TempDir(), "iis.db")
	if backend == "postgres" {
		storeURL = storetest.PostgresDSN(tb)
	}
	for i := range workers {
		cfg := service.Config{Name: fmt.Sprintf("bench-%d", i), Store: storeURL, Topology: r.topo, Worker: worker.DefaultConfig()}
		cfg.Worker.Source = source
		cfg.Worker.ShutdownTimeout = 10 * time.Second
		if m != noop {
			stack.Option()(&cfg)
			cfg.Pipeline.Execute = m == execute
			cfg.Pipeline.Limiter = dataproc.LimiterConfig{PerMinute: r.cfg.perMinute}
			cfg.Pipeline.Watch = watch.Config{Interval: 100 * time.Millisecond, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
		}
		wc := r.client(srv.Addr)
		pub := transport.NewPublisher(wc)
		b, err := service.New(ctx, cfg, pub)
		if err != nil {
			tb.Fatal(err)
		}
		if m == noop {
			b.Router.Handle(events.JobRequested, &noopHandler{st: b.Store, audit: b.Audit})
		}
		if i == 0 {
			r.importDirectory(b.Store)
		}
		r.brokers = append(r.brokers, b)
		r.background(func(ctx context.Context) {
			if err := b.Run(ctx, wc); err != nil {
				tb.Errorf("Broker.Run() = %v", err)
			}
			pub.Stop()
			b.Close()
		})
	}
	return r
}

// background runs f until the test ends, and waits for it to return before
// the clients created so far close.
func (r *rig) background(f func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	r.tb.Cleanup(func() { cancel(); <-done })
}

func user(i int) string { return fmt.Sprintf("eng%02d@bench.example.com", i) }

func (r *rig) client(addr string) *pubsub.Client {
	r.tb.Helper()
	c, err := transport.NewClient(r.ctx, project, addr)
	if err != nil {
		r.tb.Fatal(err)
	}
	r.tb.Cleanup(func() { c.Close() })
	return c
}

// follow reports the request id of every decision on the audit topic.
// pstest streams about 90 messages/s each, hence many streams.
func (r *rig) follow(c *pubsub.Client) {
	name := transport.SubscriptionName(project, "bench-audit")
	_, err := c.SubscriptionAdminClient.CreateSubscription(r.ctx, &pubsubpb.Subscription{
		Name: name, Topic: transport.TopicName(project, r.topo.Audit), AckDeadlineSeconds: 60,
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	sub := c.Subscriber(name)
	sub.ReceiveSettings.NumGoroutines = 16
	sub.ReceiveSettings.MaxOutstandingMessages = 10000
	// Stopped and waited for before its client and pstest close: pstest's
	// Close can deadlock on a stream whose client went away mid-pull.
	r.background(func(ctx context.Context) { r.receiveAudit(ctx, sub) })
}

func (r *rig) receiveAudit(ctx context.Context, sub *pubsub.Subscriber) {
	_ = sub.Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		e, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			return
		}
		switch e.Type() {
		case events.JobApproved, events.JobDenied:
			if id, _ := e.Extensions()[events.ExtRequestID].(string); id != "" {
				send(ctx, r.decided, id)
			}
		case events.JobStateChanged:
			if sc, err := events.DecodeStateChange(e); err == nil && sc.State == "RUNNING" {
				send(ctx, r.running, sc.RequestID)
			}
		case events.JobSubmitted:
			r.mu.Lock()
			r.submitted = append(r.submitted, e.Time())
			r.mu.Unlock()
		case events.AccessRevoked:
			if rev, err := events.DecodeRevocation(e); err == nil {
				send(ctx, r.revoked, rev)
			}
		}
	})
}

// send hands v to a reader, or gives up when the rig stops.
func send[T any](ctx context.Context, ch chan<- T, v T) {
	select {
	case ch <- v:
	case <-ctx.Done():
	}
}

// importDirectory puts the users in data-eng, so that the policy approves
// them.
func (r *rig) importDirectory(st store.Store) {
	var f directory.File
	for i := range r.cfg.users {
		f.Users = append(f.Users, directory.FileUser{UserName: user(i), Emails: []string{user(i)}, Groups: []string{"data-eng"}})
	}
	if _, err := directory.Import(r.ctx, st, f, directory.ImportOptions{}); err != nil {
		r.tb.Fatal(err)
	}
}

// requests encodes n job requests from the users in turn.
func (r *rig) requests(n int) []events.Message {
	r.tb.Helper()
	out := make([]events.Message, n)
	for i := range out {
		e, err := events.NewJobRequested(source, events.JobRequest{
			IDToken: r.tokens[r.sequence%len(r.tokens)],
			Target:  events.Target{Project: "iis-dev", Region: "europe-west1"},
			Job:     events.JobSpec{Type: events.JobTypePySpark, MainPythonURI: "gs://iis-dev-code/etl.py"},
		})
		if err != nil {
			r.tb.Fatal(err)
		}
		r.sequence++
		if out[i], err = events.Encode(e); err != nil {
			r.tb.Fatal(err)
		}
	}
	return out
}

// run publishes msgs, 64 at a time, and returns once the decision of every
// one has arrived on the audit topic.
func (r *rig) run(msgs []events.Message) time.Duration {
	return r.runAt(msgs, 0).elapsed
}

// result is a run's duration and each request's decision latency.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // publish call to decision received, sorted
}

// percentile returns the p-th percentile latency (0 < p <= 100).
func (res result) percentile(p float64) time.Duration {
	if len(res.latencies) == 0 {
		return 0
	}
	i := int(float64(len(res.latencies))*p/100+0.5) - 1
	return res.latencies[min(max(i, 0), len(res.latencies)-1)]
}

// report adds the run's figures to a benchmark.
func (res result) report(b *testing.B, n int) {
	b.ReportMetric(float64(n)/res.elapsed.Seconds(), "decisions/s")
	b.ReportMetric(float64(res.percentile(50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(res.percentile(99).Microseconds())/1000, "p99-ms")
}

// runAt publishes msgs, at rate per second (0: as fast as 64 concurrent
// publishes go), and returns once the decision of every one has arrived on
// the audit topic. A request's latency runs from its publish call to its
// decision's arrival.
func (r *rig) runAt(msgs []events.Message, rate float64) result {
	r.tb.Helper()
	var mu sync.Mutex
	sent := make(map[string]time.Time, len(msgs))
	want := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		want[m.Attributes["ce-id"]] = true
	}
	start := time.Now()
	go func() {
		sem := make(chan struct{}, 64)
		var tick *time.Ticker
		if rate > 0 {
			tick = time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer tick.Stop()
		}
		for _, m := range msgs {
			if tick != nil {
				select {
				case <-tick.C:
				case <-r.ctx.Done():
					return
				}
			}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				mu.Lock()
				sent[m.Attributes["ce-id"]] = time.Now()
				mu.Unlock()
				if _, err := r.pub.Publish(r.ctx, r.topo.Requests, m); err != nil && r.ctx.Err() == nil {
					r.tb.Errorf("Publish: %v", err)
				}
			}()
		}
	}()
	var lat []time.Duration
	timeout := time.After(10 * time.Minute)
	for len(want) > 0 {
		select {
		case id := <-r.decided:
			if !want[id] {
				continue
			}
			delete(want, id)
			mu.Lock()
			lat = append(lat, time.Since(sent[id]))
			mu.Unlock()
		case <-timeout:
			r.tb.Fatalf("%d of %d decisions missing after 10 minutes", len(want), len(msgs))
		}
	}
	res := result{elapsed: time.Since(start), latencies: lat}
	slices.Sort(res.latencies)
	return res
}

// policyYAML binds data-eng to a role that may run pyspark on Serverless.
const policyYAML = `version: 1
roles:
  etl:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets:
      - project: iis-dev
        region: europe-west1
        serverless: true
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/]
    max_duration: 1h
    max_credential_lifetime: 10m
bindings:
  - group: data-eng
    role: etl
`
