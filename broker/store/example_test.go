package store_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/sqlite"
)

// A handler marks the event processed, records its outcome and enqueues the
// audit event that reports it, all in one transaction; the sequencer chains
// the committed audit records, and a relay publishes the outbox afterwards.
func Example() {
	dir, _ := os.MkdirTemp("", "iis-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{DataDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	handle := func(source, id string) error {
		return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			key := store.EventKey(source, id)
			first, err := tx.MarkProcessed(ctx, key, "", time.Now())
			if err != nil || !first {
				return err // a duplicate delivery: nothing to do
			}
			d := store.Decision{RequestKey: key, RequestID: id, Principal: "alice@example.com",
				Outcome: store.OutcomeDenied, Reasons: []string{"unknown principal"}, DecidedAt: time.Now()}
			if _, err := tx.RecordDecision(ctx, d); err != nil {
				return err
			}
			_, err = tx.Enqueue(ctx, store.OutboxMessage{
				Topic: "audit", EventID: "audit-" + id, Data: []byte(`{"outcome":"denied"}`),
				Chain: true, // an audit record: chained after commit
			})
			return err
		})
	}
	for _, id := range []string{"req-1", "req-1", "req-2"} { // req-1 is delivered twice
		if err := handle("//pipelines/etl", id); err != nil {
			fmt.Println(err)
		}
	}

	// The audit package's Link sets the chain attributes and a SHA-256.
	link := func(m *store.OutboxMessage, seq int64, prev string) error {
		m.Hash = fmt.Sprintf("H(%s,%s)", prev, m.EventID)
		return nil
	}
	if _, err := s.SequenceAudit(ctx, 100, link); err != nil {
		fmt.Println(err)
	}
	msgs, _ := s.ClaimOutbox(ctx, "relay-1", 10, time.Minute)
	for _, m := range msgs {
		fmt.Println(m.Seq, m.EventID, m.Hash)
	}
	_ = s.MarkSent(ctx, msgs[0].ID, msgs[1].ID)
	// Output:
	// 1 audit-req-1 H(,audit-req-1)
	// 2 audit-req-2 H(H(,audit-req-1),audit-req-2)
}
