package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/access"
	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/cluster"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/internal/version"
)

func init() {
	register("serve", "run a broker worker against Pub/Sub (real, or an emulator)", runServe)
}

// brokerSettings are the flags of a broker process (serve and dev).
type brokerSettings struct {
	pubsubSettings
	logSettings
	DataDir  string
	Store    string
	HTTPAddr string
	Policy   string
	Worker   worker.Config
	Watch    watch.Config
	CP       checkpointSettings
	// ApprovalURL and ApprovalSweep go to the pipeline (approvals).
	ApprovalURL   string
	ApprovalSweep time.Duration
	Access        access.ReconcileConfig
}

func (s *brokerSettings) register(f flags) {
	s.pubsubSettings.register(f)
	s.logSettings.register(f)
	d := worker.DefaultConfig()
	s.Worker = d
	f.String(&s.DataDir, "data-dir", "IIS_DATA_DIR", ".iis", "directory for local state (the SQLite store)")
	httpDef := ""
	if port := os.Getenv("PORT"); port != "" { // Cloud Run sets PORT
		httpDef = ":" + port
	}
	f.String(&s.HTTPAddr, "http-addr", "IIS_HTTP_ADDR", httpDef, "where to serve /healthz and /readyz (default :$PORT when PORT is set, else off)")
	f.String(&s.Policy, "policy", "IIS_POLICY", "", "policy file (YAML, reloaded on change); without one the broker decides nothing")
	f.String(&s.Store, "store", "IIS_STORE", "", "store URL: a SQLite file or sqlite:// URL, or postgres://user@host/db (default: SQLite in -data-dir)")
	f.String(&s.Worker.Source, "source", "IIS_SOURCE", d.Source, "CloudEvents source of the events this broker emits")
	f.Int(&s.Worker.MaxOutstandingMessages, "max-outstanding", "IIS_MAX_OUTSTANDING", d.MaxOutstandingMessages, "messages held at once per subscription (backpressure)")
	f.Int(&s.Worker.NumGoroutines, "streams", "IIS_STREAMS", d.NumGoroutines, "streaming-pull streams per subscription")
	f.Int(&s.Worker.MaxAttempts, "max-attempts", "IIS_MAX_ATTEMPTS", d.MaxAttempts, "delivery attempt at which a transiently failing message is audited and given up (0: never; keep below the dead-letter limit)")
	f.Int(&s.Worker.MaxPanics, "max-panics", "IIS_MAX_PANICS", d.MaxPanics, "handler panics a message may cause before it is rejected for good")
	f.Duration(&s.Watch.Interval, "poll-interval", "IIS_POLL_INTERVAL", time.Second, "how often the job watcher looks for jobs due a poll")
	f.Duration(&s.Watch.MinBackoff, "poll-backoff-min", "IIS_POLL_BACKOFF_MIN", 2*time.Second, "first delay between polls of a job whose state did not change")
	f.Duration(&s.Watch.MaxBackoff, "poll-backoff-max", "IIS_POLL_BACKOFF_MAX", time.Minute, "longest delay between polls of a job")
	f.Duration(&s.Access.Interval, "access-reconcile", "IIS_ACCESS_RECONCILE", 10*time.Second, "how often expired access bindings are removed from clusters' IAM policies")
	f.Duration(&s.Access.DriftEvery, "drift-every", "IIS_DRIFT_EVERY", time.Minute, "how often each cluster's IAM policy is compared with the grants (drift)")
	f.Duration(&s.Worker.MaxAckExtension, "max-ack-extension", "IIS_MAX_ACK_EXTENSION", d.MaxAckExtension, "longest single extension of a held message's lease: how soon a dead worker's messages go to another (10s-600s, 0: client default)")
	f.Duration(&s.Worker.ShutdownTimeout, "shutdown-timeout", "IIS_SHUTDOWN_TIMEOUT", d.ShutdownTimeout, "how long shutdown waits for in-flight messages")
	s.CP.register(f, true)
	f.String(&s.ApprovalURL, "approval-url", "IIS_APPROVAL_URL", "", "page approvers approve on, carried by job.approval_requested: a URL with "+approval.URLPlaceholder+" (empty: none)")
	f.Duration(&s.ApprovalSweep, "approval-sweep", "IIS_APPROVAL_SWEEP", 5*time.Second, "how often requests nobody approved in time are denied")
}

// approvals sets the approval settings of a pipeline.
func (s *brokerSettings) approvals(p *service.Pipeline) error {
	if s.ApprovalURL != "" {
		u, err := url.Parse(strings.ReplaceAll(s.ApprovalURL, approval.URLPlaceholder, "x"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.Contains(s.ApprovalURL, approval.URLPlaceholder) {
			return fmt.Errorf("-approval-url %q: want an http(s) URL with %s, e.g. https://iis.example.com/approvals/%s", s.ApprovalURL, approval.URLPlaceholder, approval.URLPlaceholder)
		}
	}
	p.ApprovalURL, p.ApprovalSweep = s.ApprovalURL, s.ApprovalSweep
	return nil
}

func (s *brokerSettings) serviceConfig() service.Config {
	st := s.Store
	if st == "" {
		st = filepath.Join(s.DataDir, "iis.db")
	}
	return service.Config{Store: st, Topology: s.Topo, Worker: s.Worker, Pipeline: s.timing(service.Pipeline{}),
		Checkpoints: s.CP.service(false)}
}

// timing sets the watchers' and the reconciler's timing of p from the
// flags: the cluster watcher polls like the job watcher.
func (s *brokerSettings) timing(p service.Pipeline) service.Pipeline {
	p.Watch, p.Reconcile = s.Watch, s.Access
	p.ClusterWatch = cluster.WatchConfig{Interval: s.Watch.Interval, MinBackoff: s.Watch.MinBackoff, MaxBackoff: s.Watch.MaxBackoff}
	return p
}

// serveFlags registers the flags of `iis serve`.
func serveFlags(stderr io.Writer) (flags, *brokerSettings, *pipelineSettings) {
	var s brokerSettings
	var ps pipelineSettings
	f := newFlags("serve", stderr)
	s.register(f)
	ps.register(f)
	f.String(&ps.TimelineURL, "timeline-url", "IIS_TIMELINE_URL", "", "external URL of the audit timeline page, served on -http-addr (e.g. https://iis.example.com/timeline); empty: none")
	f.String(&ps.TimelineLogin, "timeline-login-url", "IIS_TIMELINE_LOGIN_URL", "", "login service the timeline page sends browsers to (its callback must be a loopback URL); empty: a pasted or bearer token")
	return f, &s, &ps
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, s, ps := serveFlags(stderr)
	if err := f.Parse(args); err != nil {
		return err
	}
	cfg := s.serviceConfig()
	p, err := ps.pipeline(s.Policy)
	if err != nil {
		return err
	}
	cfg.Pipeline = s.timing(p)
	if err := s.approvals(&cfg.Pipeline); err != nil {
		return err
	}
	ctx, log, err := s.logger(ctx, stderr)
	if err != nil {
		return err
	}
	log.Info().EmbedObject(version.Get()).Msg("iis serve starting")
	tel, stopTelemetry, err := startTelemetry(ctx, "iis-serve")
	if err != nil {
		return err
	}
	defer stopTelemetry()
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	pub := transport.NewPublisher(c)
	defer pub.Stop()
	b, err := service.New(ctx, cfg, pub)
	if err != nil {
		return err
	}
	defer b.Close()
	if s.HTTPAddr != "" {
		mux := http.NewServeMux()
		health(mux, b.Store)
		if api := b.ApprovalAPI(); api != nil {
			mux.Handle(approval.APIPath, api)
		}
		metrics(mux, tel)
		if ps.TimelineURL != "" {
			if err := mountTimeline(mux, b, ps.TimelineURL, ps.TimelineLogin); err != nil {
				return err
			}
		}
		addr, _, err := serveHTTP(ctx, s.HTTPAddr, mux)
		if err != nil {
			return err
		}
		log.Info().Str("addr", addr).Msg("health endpoints and /metrics serving")
	}
	if b.Checkpointer == nil {
		log.Warn().Msg("audit checkpoints are off (-checkpoint-archive, -checkpoint-key): the chain is anchored only in the database it protects")
	}
	log.Info().EmbedObject(version.Get()).Str("project", s.Project).Str("requests_subscription", s.Topo.RequestsSub).Msg("broker serving")
	return b.Run(ctx, c)
}
