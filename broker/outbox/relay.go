package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/events"
)

// Publisher publishes one encoded event to a topic and waits for the
// server's acknowledgement. transport.Publisher satisfies it.
type Publisher interface {
	Publish(ctx context.Context, topic string, m events.Message) (string, error)
}

// Config tunes a Relay.
type Config struct {
	Owner    string        // identifies this relay in claims (worker name)
	Batch    int           // rows claimed per round; default 100
	Interval time.Duration // poll interval when not woken; default 500ms
	Lease    time.Duration // how long a claim lasts before another relay may take it; default 30s
	// Link, when set, makes the relay the audit chain's sequencer too: each
	// round first chains the audit records committed so far
	// (store.SequenceAudit), which only then become publishable. Several
	// relays may sequence: the store lets one at a time.
	Link store.Linker
}

func (c *Config) setDefaults() {
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Interval <= 0 {
		c.Interval = 500 * time.Millisecond
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Owner == "" {
		return errors.New("outbox: Config.Owner is required")
	}
	return nil
}

// Relay publishes stored events.
type Relay struct {
	cfg   Config
	store store.Store
	pub   Publisher
	wake  chan struct{}
}

// NewRelay returns a relay from st to pub.
func NewRelay(cfg Config, st store.Store, pub Publisher) (*Relay, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Relay{cfg: cfg, store: st, pub: pub, wake: make(chan struct{}, 1)}, nil
}

// Wake asks the relay to look for new rows now rather than at its next
// tick. It never blocks; call it after a transaction that enqueued events.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run publishes until ctx is done, then makes a last attempt to drain what
// is pending so that a clean shutdown leaves nothing behind.
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("outbox relay: will retry")
		}
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_, err := r.Drain(final)
			return err
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Drain chains the audit records committed so far (with Config.Link), then
// publishes pending rows until none is left, returning how many it sent.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	sent := 0
	if err := r.sequence(ctx); err != nil {
		return 0, err
	}
	for {
		msgs, err := r.store.ClaimOutbox(ctx, r.cfg.Owner, r.cfg.Batch, r.cfg.Lease)
		if err != nil {
			return sent, fmt.Errorf("store.ClaimOutbox: %w", err)
		}
		if len(msgs) == 0 {
			return sent, nil
		}
		ids, perr := r.publish(ctx, msgs)
		if len(ids) > 0 {
			if err := r.store.MarkSent(ctx, ids...); err != nil {
				// Rows stay claimed until the lease ends, then go out again:
				// at least once, never lost.
				return sent, fmt.Errorf("store.MarkSent: %w", err)
			}
			sent += len(ids)
		}
		if perr != nil {
			return sent, perr
		}
		// Records committed while this round published.
		if err := r.sequence(ctx); err != nil {
			return sent, err
		}
	}
}

// sequence chains pending audit records, a batch at a time.
func (r *Relay) sequence(ctx context.Context) error {
	if r.cfg.Link == nil {
		return nil
	}
	for {
		n, err := r.store.SequenceAudit(ctx, r.cfg.Batch, r.cfg.Link)
		if err != nil {
			return fmt.Errorf("store.SequenceAudit: %w", err)
		}
		if n < r.cfg.Batch {
			return nil
		}
	}
}

// publish sends msgs concurrently (the client batches them) and returns the
// ids of those the server acknowledged.
func (r *Relay) publish(ctx context.Context, msgs []store.OutboxMessage) ([]int64, error) {
	type result struct {
		id  int64
		err error
	}
	results := make(chan result, len(msgs))
	for _, m := range msgs {
		go func(m store.OutboxMessage) {
			pctx, span := startPublish(ctx, m)
			_, err := r.pub.Publish(pctx, m.Topic, events.Message{Data: m.Data, Attributes: m.Attributes})
			telemetry.End(span, err)
			results <- result{m.ID, err}
		}(m)
	}
	var ids []int64
	var errs []error
	for range msgs {
		res := <-results
		if res.err != nil {
			errs = append(errs, res.err)
			continue
		}
		ids = append(ids, res.id)
	}
	return ids, errors.Join(errs...)
}
