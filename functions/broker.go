package functions

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/internal/logging"
	"github.com/dataproc-iis/iis/internal/version"
)

func init() {
	functions.CloudEvent("HandleMessage", HandleMessage)
	functions.HTTP("Watch", Watch)
}

// processor is what an entry point needs from the broker.
type processor interface {
	Process(ctx context.Context, d worker.Delivery) worker.Result
}

type backend struct {
	proc    processor
	drain   func(ctx context.Context) (int, error)
	log     zerolog.Logger
	watcher *watch.Watcher // nil unless the pipeline executes jobs
	// sweep denies the requests nobody approved in time (nil without a
	// policy); Watch runs it, as no worker runs the expirer here.
	sweep func(ctx context.Context) (int, error)
	// topology and project name the topics whose messages HandleMessage
	// accepts ("" project: any).
	topology transport.Topology
	project  string
}

var (
	mu  sync.Mutex
	cur *backend
)

// Use makes the entry points run on b instead of a broker built from the
// environment. Tests and `iis dev` call it.
func Use(b *service.Broker, log zerolog.Logger) {
	mu.Lock()
	defer mu.Unlock()
	cur = &backend{proc: b.Processor, drain: b.Relay.Drain, log: log, watcher: b.Watcher(), sweep: b.SweepApprovals, topology: b.Topology()}
}

// current returns the broker, building it from the environment on first
// use. A failed build is retried on the next call rather than cached.
func current(ctx context.Context) (*backend, error) {
	mu.Lock()
	defer mu.Unlock()
	if cur != nil {
		return cur, nil
	}
	log, err := logging.New(os.Stderr, env("IIS_LOG_LEVEL", "info"), logging.JSON)
	if err != nil {
		return nil, err
	}
	log.Info().EmbedObject(version.Get()).Msg("iis function starting: HandleMessage/Watch")
	cfg := service.Config{
		Store:    env("IIS_STORE", ""),
		Topology: transport.DefaultTopology(),
		Worker:   worker.DefaultConfig(),
	}
	cfg.Topology.Audit = env("IIS_AUDIT_TOPIC", cfg.Topology.Audit)
	cfg.Topology.Identity = env("IIS_IDENTITY_TOPIC", cfg.Topology.Identity)
	cfg.Topology.Requests = env("IIS_REQUESTS_TOPIC", cfg.Topology.Requests)
	cfg.Topology.Approvals = env("IIS_APPROVALS_TOPIC", cfg.Topology.Approvals)
	cfg.Worker.Source = env("IIS_SOURCE", cfg.Worker.Source)
	if n, err := strconv.Atoi(os.Getenv("IIS_MAX_PANICS")); err == nil {
		cfg.Worker.MaxPanics = n
	}
	if cfg.Pipeline, err = pipelineFromEnv(); err != nil {
		return nil, err
	}
	c, err := transport.NewClient(ctx, env("IIS_PROJECT", os.Getenv("GOOGLE_CLOUD_PROJECT")), os.Getenv("PUBSUB_EMULATOR_HOST"))
	if err != nil {
		return nil, err
	}
	b, err := service.New(context.WithoutCancel(ctx), cfg, transport.NewPublisher(c))
	if err != nil {
		c.Close()
		return nil, err
	}
	cur = &backend{proc: b.Processor, drain: b.Relay.Drain, log: log, watcher: b.Watcher(), sweep: b.SweepApprovals, topology: cfg.Topology, project: c.Project()}
	return cur, nil
}

// pipelineFromEnv reads the same settings as `iis serve` from the
// environment: IIS_POLICY, IIS_ISSUERS, IIS_DIRECTORY, IIS_DECIDE_ONLY,
// IIS_CREDENTIAL_MAX_LIFETIME, IIS_BROKER_SERVICE_ACCOUNT, IIS_DATAPROC_QUOTA,
// IIS_LABEL_KEY_FILE and IIS_APPROVAL_URL.
func pipelineFromEnv() (service.Pipeline, error) {
	dir, err := strconv.ParseBool(env("IIS_DIRECTORY", "true"))
	if err != nil {
		return service.Pipeline{}, fmt.Errorf("IIS_DIRECTORY: %w", err) // never silently off
	}
	decideOnly, err := strconv.ParseBool(env("IIS_DECIDE_ONLY", "false"))
	if err != nil {
		return service.Pipeline{}, fmt.Errorf("IIS_DECIDE_ONLY: %w", err)
	}
	p := service.Pipeline{
		PolicyPath:           os.Getenv("IIS_POLICY"),
		Directory:            dir,
		Execute:              !decideOnly,
		CallerServiceAccount: os.Getenv("IIS_BROKER_SERVICE_ACCOUNT"),
		ApprovalURL:          os.Getenv("IIS_APPROVAL_URL"),
	}
	if p.PolicyPath == "" {
		return p, nil
	}
	iss, err := identity.LoadIssuers(os.Getenv("IIS_ISSUERS"))
	if err != nil {
		return p, fmt.Errorf("IIS_ISSUERS: %w", err)
	}
	p.Identity.Issuers = iss
	if d, err := time.ParseDuration(os.Getenv("IIS_CREDENTIAL_MAX_LIFETIME")); err == nil {
		p.Credentials.GlobalMaxLifetime = d
	}
	if n, err := strconv.Atoi(os.Getenv("IIS_DATAPROC_QUOTA")); err == nil {
		p.Limiter.PerMinute = n
	}
	if f := os.Getenv("IIS_LABEL_KEY_FILE"); f != "" {
		key, err := os.ReadFile(f)
		if err != nil {
			return p, err
		}
		p.LabelKey = []byte(strings.TrimSpace(string(key)))
	}
	return p, nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
