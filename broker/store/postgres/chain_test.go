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

// TestChainWritersDoNotStarve appends audit records from many goroutines
// with a retry budget of 4, while three sequencers chain them: no writer
// waits for the chain any more, so none runs out of attempts however many
// there are, and the chain comes out gap-free.
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

	link := func(m *store.OutboxMessage, seq int64, prev string) error {
		m.Hash = fmt.Sprintf("h%d", seq)
		return nil
	}
	const writers, perWriter = 12, 20
	var g, sq errgroup.Group
	done := make(chan struct{})
	for range 3 {
		sq.Go(func() error {
			for {
				select {
				case <-done:
					return nil
				default:
				}
				if _, err := s.SequenceAudit(context.Background(), 16, link); err != nil {
					return err
				}
			}
		})
	}
	for w := range writers {
		g.Go(func() error {
			for i := range perWriter {
				id := fmt.Sprintf("w%d-%d", w, i)
				err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
					if _, err := tx.MarkProcessed(ctx, id, "", time.Now()); err != nil {
						return err
					}
					_, err := tx.Enqueue(ctx, store.OutboxMessage{Topic: "audit", EventID: id, Chain: true})
					return err
				})
				if err != nil {
					return fmt.Errorf("Update(%s): %w", id, err)
				}
			}
			return nil
		})
	}
	err = g.Wait()
	close(done)
	if serr := sq.Wait(); serr != nil {
		t.Fatalf("SequenceAudit: %v", serr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SequenceAudit(context.Background(), 1000, link); err != nil {
		t.Fatal(err)
	}
	trail, err := s.AuditTrail(context.Background(), 0, 0)
	if err != nil || len(trail) != writers*perWriter || trail[len(trail)-1].Seq != writers*perWriter {
		t.Errorf("AuditTrail = %d messages, %v; want %d, gap-free", len(trail), err, writers*perWriter)
	}
}
