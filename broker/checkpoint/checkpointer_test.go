package checkpoint_test

import (
	"context"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, made, err := e.cp.Checkpoint(ctx); err != nil || made {
		t.Fatalf("Checkpoint(empty chain) = made %v, %v; want nothing to vouch for", made, err)
	}
	e.append(5)
	first := e.checkpoint()
	if first.Seq != 5 || first.Count != 5 || first.Previous != nil || first.ChainID != e.chainID() {
		t.Errorf("first checkpoint = %+v, want seq 5 of chain %s, no previous", first, e.chainID())
	}
	if _, made, err := e.cp.Checkpoint(ctx); err != nil || made {
		t.Errorf("Checkpoint(unchanged chain) = made %v, %v; want none", made, err)
	}
	e.append(3)
	second := e.checkpoint()
	if second.Seq != 8 || second.Previous == nil || second.Previous.Seq != 5 || second.Previous.Hash != first.Hash {
		t.Errorf("second checkpoint = %+v, want seq 8 linked to the first", second)
	}

	// The store notes it, and the event waits in the outbox, unchained.
	var last store.Checkpoint
	if err := e.st.View(ctx, func(ctx context.Context, tx store.Tx) (err error) {
		last, _, err = tx.LastCheckpoint(ctx)
		return err
	}); err != nil || last.Seq != 8 || last.Hash != second.Hash {
		t.Errorf("LastCheckpoint() = %+v, %v; want seq 8", last, err)
	}
	msgs, err := e.st.ClaimOutbox(ctx, "relay", 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var got []events.Checkpoint
	for _, m := range msgs {
		if m.Attributes["ce-type"] != events.AuditCheckpointed {
			continue
		}
		if m.Chain || m.Seq != 0 {
			t.Errorf("checkpoint event %s is chained; its signature vouches for it", m.EventID)
		}
		ev, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			t.Fatal(err)
		}
		c, err := events.DecodeCheckpoint(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkpoint.Verify(ctx, e.signer, c); err != nil {
			t.Errorf("published checkpoint does not verify: %v", err)
		}
		got = append(got, c)
	}
	if len(got) != 2 {
		t.Errorf("%d checkpoint events enqueued, want 2", len(got))
	}
}

// TestCheckpointersRace runs two checkpointers (two workers) on one chain:
// the archive keeps one checkpoint per head, and one event is published.
func TestCheckpointersRace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.append(4)
	other, err := checkpoint.New(checkpoint.Config{Store: e.st, Signer: e.signer, Archive: e.archive, Topic: topic, Source: "//test/other"})
	if err != nil {
		t.Fatal(err)
	}
	_, madeA, errA := e.cp.Checkpoint(ctx)
	// The second worker read the same head before the first recorded it:
	// simulate by archiving directly at that head.
	_, madeB, errB := other.Checkpoint(ctx)
	if errA != nil || errB != nil || !madeA || madeB {
		t.Errorf("two checkpointers = made %v (%v), %v (%v); want exactly the first", madeA, errA, madeB, errB)
	}
	entries, err := e.archive.Latest(ctx, e.chainID(), 0)
	if err != nil || len(entries) != 1 {
		t.Errorf("archive holds %d checkpoints, %v; want 1", len(entries), err)
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := checkpoint.New(checkpoint.Config{}); err == nil {
		t.Error("New(empty config) = nil error, want one")
	}
}
