package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/access"
	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/broker/cluster"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/outbox"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storeopen"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
)

// Config is everything a broker needs to start.
type Config struct {
	// Name identifies this worker in outbox claims and logs; default host-pid.
	Name string
	// Store is the store URL: a SQLite path or sqlite:// URL, or a postgres:// DSN.
	Store    string
	Topology transport.Topology
	Worker   worker.Config
	Relay    outbox.Config
	Pipeline Pipeline
	// Checkpoints signs and archives the audit chain's head.
	Checkpoints Checkpoints
	// PolicyReload is how often the policy file is checked for changes; default 5s.
	PolicyReload time.Duration
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Store == "" {
		errs = append(errs, errors.New("service: Store is required"))
	}
	if c.Topology.Audit == "" || c.Topology.RequestsSub == "" || c.Topology.IdentitySub == "" {
		errs = append(errs, errors.New("service: Topology needs the audit topic and both worker subscriptions"))
	}
	errs = append(errs, c.Worker.Validate(), c.Checkpoints.Validate())
	return errors.Join(errs...)
}

// Broker is an assembled broker: its parts are exported so that commands
// and tests can reach them.
type Broker struct {
	cfg       Config
	Store     store.Store
	Audit     audit.Log
	Relay     *outbox.Relay
	Router    worker.Router
	Processor *worker.Processor
	// Checkpointer is nil unless Config.Checkpoints is enabled.
	Checkpointer *checkpoint.Checkpointer

	parts  parts
	caller dataproc.Caller
}

// New opens the store and assembles the broker. pub publishes what the
// outbox holds (a transport.Publisher in production).
func New(ctx context.Context, cfg Config, pub outbox.Publisher) (*Broker, error) {
	if cfg.Name == "" {
		host, _ := os.Hostname()
		cfg.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, err := storeopen.Open(ctx, cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("storeopen.Open: %w", err)
	}
	b := &Broker{cfg: cfg, Store: st, Audit: audit.Log{Topic: cfg.Topology.Audit}, Router: worker.Router{}}
	// The outbox depth and age and the active jobs, at each collection.
	if stop, err := telemetry.Current().ObserveStore(st); err == nil {
		b.parts.closers = append(b.parts.closers, stop)
	}
	cfg.Relay.Owner = cfg.Name
	cfg.Relay.Link = audit.Link
	if b.Relay, err = outbox.NewRelay(cfg.Relay, st, pub); err != nil {
		st.Close()
		return nil, err
	}
	if b.Processor, err = worker.NewProcessor(cfg.Worker, st, b.Audit, b.Router, b.Relay.Wake); err != nil {
		st.Close()
		return nil, err
	}
	if err := b.buildPipeline(ctx, cfg.Pipeline); err != nil {
		b.Close()
		return nil, err
	}
	if err := b.buildCheckpointer(ctx, cfg.Checkpoints); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Run pulls from the worker subscriptions, relays the outbox and prunes old
// dedupe records until ctx is done, then drains and returns. The relay stops
// only once every part that writes audit records has stopped, so that its
// last round chains and publishes them; then the last checkpoint is made.
func (b *Broker) Run(ctx context.Context, c *pubsub.Client) error {
	w, err := worker.New(b.cfg.Worker, c, b.Processor,
		worker.Subscription{ID: b.cfg.Topology.RequestsSub, Channel: events.ChannelRequests},
		worker.Subscription{ID: b.cfg.Topology.IdentitySub, Channel: events.ChannelIdentity})
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRelay()
	relayDone := make(chan error, 1)
	go func() { relayDone <- b.Relay.Run(relayCtx) }()
	g.Go(func() error { return w.Run(gctx) })
	g.Go(func() error { b.prune(gctx); return nil })
	if b.parts.watcher != nil {
		g.Go(func() error { return b.parts.watcher.Run(gctx) })
	}
	if b.parts.approvals != nil {
		g.Go(func() error { return b.parts.approvals.Run(gctx) })
	}
	if b.parts.clusters != nil {
		g.Go(func() error { return b.parts.clusters.Run(gctx) })
	}
	if b.parts.reconcile != nil {
		g.Go(func() error { return b.parts.reconcile.Run(gctx) })
	}
	if b.parts.dirCache != nil {
		g.Go(func() error { return b.parts.dirCache.Follow(gctx, b.parts.dirFeed) })
	}
	if b.parts.policy != nil {
		every := b.cfg.PolicyReload
		if every <= 0 {
			every = 5 * time.Second
		}
		g.Go(func() error { b.parts.policy.Watch(gctx, every); return nil })
	}
	if b.Checkpointer != nil {
		g.Go(func() error { b.Checkpointer.Run(gctx); return nil })
	}
	err = g.Wait()
	stopRelay()
	return errors.Join(err, <-relayDone, b.finalCheckpoint(ctx))
}

// finalCheckpoint vouches for the chain as this worker leaves it, and
// publishes the checkpoint event.
func (b *Broker) finalCheckpoint(ctx context.Context) error {
	if b.Checkpointer == nil {
		return nil
	}
	if err := b.Checkpointer.Final(ctx, 10*time.Second); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("the shutdown checkpoint failed")
		return nil
	}
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := b.Relay.Drain(drain); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("publishing the shutdown checkpoint failed; the next relay will")
	}
	return nil
}

func (b *Broker) prune(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		before := time.Now().Add(-b.cfg.Worker.DedupeRetention)
		err := b.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.PruneProcessed(ctx, before)
			return err
		})
		if err != nil && ctx.Err() == nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("pruning dedupe records failed")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunRelay only sequences and publishes the outbox (a SCIM-only process),
// and checkpoints the chain if configured, until ctx is done.
func (b *Broker) RunRelay(ctx context.Context) error {
	if b.Checkpointer == nil {
		return b.Relay.Run(ctx)
	}
	cctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); b.Checkpointer.Run(cctx) }()
	err := b.Relay.Run(ctx)
	stop()
	<-done
	return errors.Join(err, b.finalCheckpoint(ctx))
}

// Close releases the clients and the store.
func (b *Broker) Close() error {
	var errs []error
	for _, c := range b.parts.closers {
		errs = append(errs, c())
	}
	return errors.Join(append(errs, b.Store.Close())...)
}

// Decider is the decision path (nil without a policy); `iis policy explain`
// and tests use it.
func (b *Broker) Decider() *decision.Decider { return b.parts.decider }

// Topology is the topics and subscriptions the broker was configured with.
func (b *Broker) Topology() transport.Topology { return b.cfg.Topology }

// ApprovalAPI is the approvers' HTTP view of what waits for them (nil
// without a policy): mount it at approval.APIPath.
func (b *Broker) ApprovalAPI() http.Handler {
	if b.parts.api == nil {
		return nil
	}
	return b.parts.api
}

// SweepApprovals denies the requests nobody approved in time, once (what
// Run does every ApprovalSweep); without a policy it does nothing.
func (b *Broker) SweepApprovals(ctx context.Context) (int, error) {
	if b.parts.approvals == nil {
		return 0, nil
	}
	return b.parts.approvals.Sweep(ctx)
}

// Watcher is the job watcher (nil unless the pipeline executes jobs).
func (b *Broker) Watcher() *watch.Watcher { return b.parts.watcher }

// ClusterWatcher is the cluster watcher (nil unless the pipeline executes).
func (b *Broker) ClusterWatcher() *cluster.Watcher { return b.parts.clusters }

// Reconciler is the access reconciler (nil unless the pipeline executes).
func (b *Broker) Reconciler() *access.Reconciler { return b.parts.reconcile }
