package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/postgres"
	"github.com/dataproc-iis/iis/broker/store/sqlstore"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// TestChainWritersDoNotStarve extends the audit chain from many goroutines
// with a retry budget of 4: a chain writer may lose the head to another at
// most once (its retry holds the chain lock from before its snapshot), so
// none runs out of attempts however hard they contend.
func TestChainWritersDoNotStarve(t *testing.T) {
	cc, err := pgx.ParseConfig(storetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(16)
	d := postgres.Dialect()
	d.MaxAttempts = 4
	s, err := sqlstore.Open(context.Background(), sqlstore.Config{Dialect: d, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	const writers, perWriter = 12, 20
	var g errgroup.Group
	for w := range writers {
		g.Go(func() error {
			for i := range perWriter {
				id := fmt.Sprintf("w%d-%d", w, i)
				err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
					if _, err := tx.MarkProcessed(ctx, id, "", time.Now()); err != nil {
						return err
					}
					seq, _, err := tx.ChainHead(ctx)
					if err != nil {
						return err
					}
					_, err = tx.Enqueue(ctx, store.OutboxMessage{Topic: "audit", EventID: id, Seq: seq + 1, Hash: "h-" + id})
					return err
				})
				if err != nil {
					return fmt.Errorf("Update(%s): %w", id, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	trail, err := s.AuditTrail(context.Background(), 0, 0)
	if err != nil || len(trail) != writers*perWriter || trail[len(trail)-1].Seq != writers*perWriter {
		t.Errorf("AuditTrail = %d messages, %v; want %d, gap-free", len(trail), err, writers*perWriter)
	}
}
