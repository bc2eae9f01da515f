package outbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/outbox"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/events"
)

// flaky publishes to memory and fails the first n calls.
type flaky struct {
	mu   sync.Mutex
	fail int
	got  map[string]int // event id -> times published
}

func (f *flaky) Publish(ctx context.Context, topic string, m events.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return "", errors.New("pubsub unavailable")
	}
	f.got[m.Attributes["ce-id"]]++
	return "id", nil
}

func enqueue(t *testing.T, st store.Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		e, err := events.NewEventRejected("//test", events.Rejection{Reason: "malformed"})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			return outbox.Enqueue(ctx, tx, "iis-audit", e)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRelayPublishesEachOnceAndRetries(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	enqueue(t, st, 5)
	pub := &flaky{fail: 2, got: map[string]int{}}
	r, err := outbox.NewRelay(outbox.Config{Owner: "w1", Lease: 1}, st, pub) // 1ns lease: failed rows are reclaimable at once
	if err != nil {
		t.Fatal(err)
	}
	sent, err := r.Drain(ctx)
	if err == nil {
		t.Fatalf("Drain() with a failing publisher = nil error (sent %d), want error", sent)
	}
	if _, err := r.Drain(ctx); err != nil {
		t.Fatalf("second Drain() = %v", err)
	}
	if len(pub.got) != 5 {
		t.Errorf("published %d distinct events, want 5", len(pub.got))
	}
	for id, n := range pub.got {
		if n != 1 {
			t.Errorf("event %s published %d times after a successful publish, want 1", id, n)
		}
	}
	left, err := st.ClaimOutbox(ctx, "w2", 10, time.Minute)
	if err != nil || len(left) != 0 {
		t.Errorf("rows left unsent = %d (%v), want 0", len(left), err)
	}
}

func TestRelayConfigValidate(t *testing.T) {
	if _, err := outbox.NewRelay(outbox.Config{}, nil, nil); err == nil {
		t.Error("NewRelay without Owner = nil error, want error")
	}
}

// TestRelaySequencesAuditRecords checks that audit records wait for the
// sequencer: a relay without Link publishes none of them, one with Link
// chains and publishes them in chain order.
func TestRelaySequencesAuditRecords(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	log := audit.Log{Topic: "iis-audit"}
	for range 3 {
		e, err := events.NewEventRejected("//test", events.Rejection{Reason: "malformed"})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error { return log.Append(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	pub := &flaky{got: map[string]int{}}
	plain, err := outbox.NewRelay(outbox.Config{Owner: "w1"}, st, pub)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := plain.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("Drain() without a linker = %d, %v; want 0: an unchained record must not go out", n, err)
	}
	seq, err := outbox.NewRelay(outbox.Config{Owner: "w2", Batch: 2, Link: audit.Link}, st, pub)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := seq.Drain(ctx); err != nil || n != 3 {
		t.Fatalf("Drain() with the audit linker = %d, %v; want 3", n, err)
	}
	rep, err := audit.VerifyStore(ctx, st, audit.StoreOptions{})
	if err != nil || !rep.OK() || rep.Last != 3 {
		t.Errorf("VerifyStore() = %s, %v; want 3 records OK", rep.Summary(), err)
	}
}
