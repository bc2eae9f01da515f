package functions

import (
	"context"
	"os"
	"strconv"
	"sync"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/internal/logging"
)

func init() {
	functions.CloudEvent("HandleMessage", HandleMessage)
}

// processor is what an entry point needs from the broker.
type processor interface {
	Process(ctx context.Context, d worker.Delivery) worker.Result
}

type backend struct {
	proc  processor
	drain func(ctx context.Context) (int, error)
	log   zerolog.Logger
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
	cur = &backend{proc: b.Processor, drain: b.Relay.Drain, log: log}
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
	cfg := service.Config{
		Store:    env("IIS_STORE", ""),
		Topology: transport.DefaultTopology(),
		Worker:   worker.DefaultConfig(),
	}
	cfg.Topology.Audit = env("IIS_AUDIT_TOPIC", cfg.Topology.Audit)
	cfg.Topology.Identity = env("IIS_IDENTITY_TOPIC", cfg.Topology.Identity)
	cfg.Worker.Source = env("IIS_SOURCE", cfg.Worker.Source)
	if n, err := strconv.Atoi(os.Getenv("IIS_MAX_PANICS")); err == nil {
		cfg.Worker.MaxPanics = n
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
	cur = &backend{proc: b.Processor, drain: b.Relay.Drain, log: log}
	return cur, nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
