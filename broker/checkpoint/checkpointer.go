package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/outbox"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"

	"github.com/dataproc-iis/iis/broker/telemetry"
)

// Config configures a Checkpointer.
type Config struct {
	Store   store.Store
	Signer  signing.Signer
	Archive Archive
	// Topic is the audit topic; Source the CloudEvents source of the
	// checkpoint events.
	Topic, Source string
	// Interval between checkpoints (default 1m, jittered by up to 10% so
	// that workers started together do not sign together). A checkpoint is
	// made only when the chain grew since the last one.
	Interval time.Duration
	// Wake, if set, is called after a checkpoint event was enqueued.
	Wake func()
	// Clock stamps statements; time.Now if nil.
	Clock func() time.Time
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil || c.Signer == nil || c.Archive == nil {
		errs = append(errs, errors.New("checkpoint: Store, Signer and Archive are required"))
	}
	if c.Topic == "" || c.Source == "" {
		errs = append(errs, errors.New("checkpoint: Topic and Source are required"))
	}
	if c.Interval < 0 {
		errs = append(errs, errors.New("checkpoint: negative Interval"))
	}
	return errors.Join(errs...)
}

// Checkpointer makes checkpoints. Several workers may each run one: the
// archive takes the first checkpoint of a seq and refuses the others.
type Checkpointer struct{ cfg Config }

// New returns a Checkpointer.
func New(cfg Config) (*Checkpointer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Checkpointer{cfg: cfg}, nil
}

// Run checkpoints every Interval until ctx is done. Failures are logged and
// retried at the next tick: the chain does not depend on them. The
// checkpoint at shutdown is the caller's (Final), once the relay has
// chained the last records.
func (c *Checkpointer) Run(ctx context.Context) {
	for {
		d := c.cfg.Interval - time.Duration(rand.Int64N(int64(c.cfg.Interval/10)+1))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, _, err := c.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("audit checkpoint failed; will retry")
		}
	}
}

// Final makes the shutdown checkpoint with a deadline of its own.
func (c *Checkpointer) Final(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	_, _, err := c.Checkpoint(ctx)
	return err
}

// Checkpoint makes one checkpoint of the current chain head and reports it,
// with made == false when there was nothing new to vouch for or another
// worker archived this head first.
func (c *Checkpointer) Checkpoint(ctx context.Context) (cp events.Checkpoint, made bool, err error) {
	defer func() { telemetry.Current().Checkpoint(ctx, made, err) }()
	var (
		last  store.Checkpoint
		found bool
	)
	err = c.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if cp.Seq, cp.Hash, err = tx.ChainHead(ctx); err != nil {
			return err
		}
		if cp.ChainID, err = tx.ChainID(ctx); err != nil {
			return err
		}
		last, found, err = tx.LastCheckpoint(ctx)
		return err
	})
	if err != nil {
		return cp, false, fmt.Errorf("checkpoint: read the chain head: %w", err)
	}
	if cp.Seq == 0 || found && last.Seq >= cp.Seq {
		return cp, false, nil
	}
	cp.Count, cp.Time = cp.Seq, c.cfg.Clock()
	if found {
		cp.Previous = &events.CheckpointRef{Seq: last.Seq, Hash: last.Hash}
	}
	if cp, err = Sign(ctx, c.cfg.Signer, cp); err != nil {
		return cp, false, err
	}
	loc, err := c.cfg.Archive.Put(ctx, cp)
	if errors.Is(err, ErrExists) {
		return cp, false, nil
	}
	if err != nil {
		return cp, false, fmt.Errorf("archive %s: %w", c.cfg.Archive, err)
	}
	if err := c.record(ctx, cp, loc); err != nil {
		return cp, true, err
	}
	return cp, true, nil
}

// record notes the archived checkpoint in the store and enqueues its event,
// in one transaction.
func (c *Checkpointer) record(ctx context.Context, cp events.Checkpoint, loc string) error {
	e, err := events.NewAuditCheckpointed(c.cfg.Source, cp, events.WithSubject(cp.ChainID))
	if err != nil {
		return fmt.Errorf("events.NewAuditCheckpointed: %w", err)
	}
	err = c.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		first, err := tx.PutCheckpoint(ctx, store.Checkpoint{Seq: cp.Seq, Hash: cp.Hash, SignedAt: cp.Time, KeyID: cp.KeyID, Object: loc})
		if err != nil || !first {
			return err
		}
		return outbox.Enqueue(ctx, tx, c.cfg.Topic, e)
	})
	if err != nil {
		return fmt.Errorf("checkpoint: record %s: %w", loc, err)
	}
	if c.cfg.Wake != nil {
		c.cfg.Wake()
	}
	zerolog.Ctx(ctx).Info().Int64("seq", cp.Seq).Str("key_id", cp.KeyID).Str("object", loc).Msg("audit checkpoint")
	return nil
}
