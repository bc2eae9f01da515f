package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
)

// Config builds a Store.
type Config struct {
	// Dialect describes the backend.
	Dialect Dialect
	// DB is the read-write pool. The Store owns it and closes it.
	DB *sql.DB
	// ReadDB, if set, serves View and AuditTrail; the Store closes it too.
	ReadDB *sql.DB
	// Clock stamps CreatedAt, UpdatedAt and lease times; time.Now if nil.
	Clock func() time.Time
}

// Validate reports whether cfg can build a Store.
func (c Config) Validate() error {
	switch {
	case c.DB == nil:
		return errors.New("sqlstore: Config.DB is nil")
	case c.Dialect.Name == "", c.Dialect.Migrations == nil, c.Dialect.Time == nil,
		c.Dialect.MigrationsTable == "", c.Dialect.Fold == "", c.Dialect.JSON == nil:
		return errors.New("sqlstore: Config.Dialect is incomplete")
	}
	return nil
}

// Store is the SQL implementation of store.Store.
type Store struct {
	d     *Dialect
	db    *sql.DB
	read  *sql.DB
	clock func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open applies pending migrations and returns the Store. On error it closes
// nothing: the caller still owns the pools.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := cfg.Dialect
	s := &Store{d: &d, db: cfg.DB, read: cfg.ReadDB, clock: cfg.Clock}
	if s.read == nil {
		s.read = s.db
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if err := Migrate(ctx, s.db, s.d); err != nil {
		return nil, err
	}
	return s, nil
}

// now is the store's clock in the form the store keeps times.
func (s *Store) now() time.Time { return normTime(s.clock()) }

// Update implements store.Store. A transaction that fails with a
// serialization failure runs again after a jittered backoff. No update waits
// for the audit chain: audit records are chained after commit
// (SequenceAudit), which is what lets several workers write at once.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.run(ctx, s.db, s.d.UpdateTx, false, fn)
		if err == nil || s.d.classify(err) != ClassRetry {
			return err
		}

		if attempt >= s.d.MaxAttempts {
			return fault.AsTransient(ReasonBusy, fmt.Errorf("sqlstore: Update gave up after %d attempts: %w", attempt, err))
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// View implements store.Store.
func (s *Store) View(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.run(ctx, s.read, s.d.ViewTx, true, fn)
}

// run runs fn in one transaction.
func (s *Store) run(ctx context.Context, db *sql.DB, opts *sql.TxOptions, readOnly bool, fn func(context.Context, store.Tx) error) error {
	sqlTx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return s.d.Wrap("sqlstore: begin", err)
	}
	done := false
	defer func() {
		if !done {
			_ = sqlTx.Rollback() // the error that got us here is the one to report
		}
	}()
	t := &tx{s: s, tx: sqlTx, readOnly: readOnly}
	if err := fn(ctx, t); err != nil {
		return err
	}
	done = true
	if err := sqlTx.Commit(); err != nil {
		return s.d.Wrap("sqlstore: commit", err)
	}
	return nil
}

// backoff waits before retry number attempt: full jitter over an exponential
// ceiling from 1ms to 100ms.
func backoff(ctx context.Context, attempt int) error {
	ceiling := time.Millisecond << min(attempt, 7)
	t := time.NewTimer(rand.N(min(ceiling, 100*time.Millisecond)) + 1)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Close implements store.Store.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.read != s.db {
		err = errors.Join(err, s.read.Close())
	}
	return err
}
