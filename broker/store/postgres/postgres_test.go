package postgres_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/postgres"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.SkipWithoutPostgres(t)
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.Postgres(t) })
}

func BenchmarkUpdateMarkProcessedEnqueue(b *testing.B) {
	storetest.BenchUpdateMarkProcessedEnqueue(b, storetest.Postgres(b))
}

// TestConcurrentOpen starts several workers on one empty database at once:
// the advisory lock must let exactly one of them migrate.
func TestConcurrentOpen(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	var g errgroup.Group
	for range 4 {
		g.Go(func() error {
			s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, MaxConns: 2})
			if err != nil {
				return err
			}
			return s.Close()
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("concurrent Open: %v", err)
	}
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatalf("Open after concurrent Opens: %v", err)
	}
	defer s.Close()
	err = s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MarkProcessed(ctx, "k", "", time.Now())
		return err
	})
	if err != nil {
		t.Errorf("Update after concurrent Opens: %v", err)
	}
}

// TestUnavailable points the store at a port nobody listens on.
func TestUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = postgres.Open(ctx, postgres.Config{DSN: fmt.Sprintf("postgres://iis:secret@%s/iis?sslmode=disable&connect_timeout=2", addr)})
	if err == nil || fault.IsPermanent(err) || fault.ReasonOf(err) != "store_unavailable" {
		t.Fatalf("Open(closed port) = %v (reason %q), want a transient store_unavailable fault", err, fault.ReasonOf(err))
	}
}

// TestServerGoesAway terminates the store's connections mid-life: the next
// calls fail as transient faults or succeed on a new connection, never as
// permanent errors.
func TestServerGoesAway(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	err = s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		// Kill our own backend from inside the transaction.
		_, err := tx.MarkProcessed(ctx, "before", "", time.Now())
		if err != nil {
			return err
		}
		return killBackends(ctx, t, dsn)
	})
	t.Logf("Update whose connection was terminated = %v", err)
	if err == nil || fault.IsPermanent(err) || fault.ReasonOf(err) != "store_unavailable" {
		t.Errorf("Update whose connection was terminated = %v (reason %q), want a transient store_unavailable fault", err, fault.ReasonOf(err))
	}
	// The pool recovers.
	err = s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		first, err := tx.MarkProcessed(ctx, "before", "", time.Now())
		if err == nil && !first {
			t.Errorf("MarkProcessed(before) = false: the failed transaction committed")
		}
		return err
	})
	if err != nil {
		t.Errorf("Update after reconnect: %v", err)
	}
}
