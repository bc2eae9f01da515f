package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dataproc-iis/iis/broker/store"
)

// msg is an unchained audit message.
func msg(topic, id string) store.OutboxMessage {
	return store.OutboxMessage{
		Topic:       topic,
		EventID:     id,
		Data:        []byte(`{"id":"` + id + `"}`),
		Attributes:  map[string]string{"ce-id": id, "ce-type": "dev.iis.job.approved.v1", "Content-Type": "application/json"},
		OrderingKey: "req-" + id,
	}
}

// enqueue enqueues ms in one Update and returns them as stored.
func enqueue(t testing.TB, s store.Store, ms ...store.OutboxMessage) []store.OutboxMessage {
	t.Helper()
	var out []store.OutboxMessage
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		out = out[:0]
		for _, m := range ms {
			m, err := tx.Enqueue(ctx, m)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out
}

// ignoreClaim ignores what a claim changes.
var ignoreClaim = cmpopts.IgnoreFields(store.OutboxMessage{}, "Attempts", "SentAt")

func testEnqueue(t *testing.T, s store.Store) {
	before := time.Now()
	got := enqueue(t, s, msg("audit", "e1"), msg("audit", "e2"), msg("identity", "e1"), store.OutboxMessage{Topic: "audit", EventID: "empty"})
	after := time.Now()
	for i, m := range got {
		within(t, fmt.Sprintf("Enqueue #%d CreatedAt", i), m.CreatedAt, before, after)
		if i > 0 && m.ID <= got[i-1].ID {
			t.Errorf("Enqueue #%d ID = %d, want > %d", i, m.ID, got[i-1].ID)
		}
	}
	claimed, err := s.ClaimOutbox(context.Background(), "relay-1", 10, time.Hour)
	if err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	if diff := cmp.Diff(got, claimed, ignoreClaim); diff != "" {
		t.Errorf("ClaimOutbox after Enqueue: mismatch (-enqueued +claimed):\n%s", diff)
	}

	tests := []struct {
		name string
		m    store.OutboxMessage
		want error
	}{
		{"duplicate event on a topic", msg("audit", "e1"), store.ErrConflict},
		{"no topic", msg("", "e9"), store.ErrInvalid},
		{"no event id", msg("audit", ""), store.ErrInvalid},
		{"seq without hash", store.OutboxMessage{Topic: "audit", EventID: "e9", Seq: 1}, store.ErrInvalid},
		{"hash without seq", store.OutboxMessage{Topic: "audit", EventID: "e9", Hash: "h"}, store.ErrInvalid},
		{"negative seq", store.OutboxMessage{Topic: "audit", EventID: "e9", Seq: -1, Hash: "h"}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Enqueue(ctx, tt.m)
				return err
			})
			wantErr(t, "Enqueue", err, tt.want)
		})
	}
}

// chained returns message i of an audit chain.
func chained(seq int64) store.OutboxMessage {
	m := msg("audit", fmt.Sprintf("c%d", seq))
	m.Seq, m.Hash = seq, fmt.Sprintf("hash-%d", seq)
	return m
}

func testChain(t *testing.T, s store.Store) {
	head := func(wantSeq int64, wantHash string) {
		t.Helper()
		view(t, s, func(ctx context.Context, tx store.Tx) error {
			seq, hash, err := tx.ChainHead(ctx)
			if err != nil {
				return err
			}
			if seq != wantSeq || hash != wantHash {
				t.Errorf("ChainHead() = %d, %q, want %d, %q", seq, hash, wantSeq, wantHash)
			}
			return nil
		})
	}
	head(0, "")
	enqueue(t, s, chained(1), msg("audit", "plain"), chained(2))
	head(2, "hash-2")
	for _, seq := range []int64{1, 2, 4} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Enqueue(ctx, chained(seq))
			return err
		})
		wantErr(t, fmt.Sprintf("Enqueue(seq %d) after head 2", seq), err, store.ErrConflict)
	}
	head(2, "hash-2")
	enqueue(t, s, chained(3))
	head(3, "hash-3")
}

func testAuditTrail(t *testing.T, s store.Store) {
	var want []store.OutboxMessage
	for seq := int64(1); seq <= 5; seq++ {
		got := enqueue(t, s, msg("audit", fmt.Sprintf("plain%d", seq)), chained(seq))
		want = append(want, got[1])
	}
	ctx := context.Background()
	// Sending does not remove a chained message from the trail.
	claimed, err := s.ClaimOutbox(ctx, "relay", 100, time.Hour)
	if err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	if err := s.MarkSent(ctx, claimed[0].ID, claimed[1].ID); err != nil {
		t.Fatalf("MarkSent: %v", err)
	}
	tests := []struct {
		after int64
		limit int
		want  []store.OutboxMessage
	}{
		{0, 0, want},
		{0, 2, want[:2]},
		{2, 2, want[2:4]},
		{4, 10, want[4:]},
		{5, 0, nil},
	}
	for _, tt := range tests {
		got, err := s.AuditTrail(ctx, tt.after, tt.limit)
		if err != nil {
			t.Fatalf("AuditTrail(%d, %d): %v", tt.after, tt.limit, err)
		}
		if diff := cmp.Diff(tt.want, got, ignoreClaim); diff != "" {
			t.Errorf("AuditTrail(%d, %d): mismatch (-want +got):\n%s", tt.after, tt.limit, diff)
		}
	}
	got, err := s.AuditTrail(ctx, 0, 1)
	if err != nil || len(got) != 1 || got[0].SentAt == nil {
		t.Errorf("AuditTrail(0, 1) = %v, %v, want the first chained message, sent", got, err)
	}
}

func testPruneOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	ms := enqueue(t, s, msg("audit", "sent"), chained(1), msg("audit", "unsent"))
	if _, err := s.ClaimOutbox(ctx, "relay", 2, time.Hour); err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	if err := s.MarkSent(ctx, ms[0].ID, ms[1].ID); err != nil {
		t.Fatalf("MarkSent: %v", err)
	}
	if n, err := s.PruneOutbox(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("PruneOutbox(an hour ago) = %d, %v, want 0", n, err)
	}
	if n, err := s.PruneOutbox(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("PruneOutbox(in an hour) = %d, %v, want 1 (the sent, unchained message)", n, err)
	}
	trail, err := s.AuditTrail(ctx, 0, 0)
	if err != nil || len(trail) != 1 {
		t.Errorf("AuditTrail after prune = %d messages, %v, want 1", len(trail), err)
	}
	left, err := s.ClaimOutbox(ctx, "relay-2", 10, time.Hour)
	if err != nil || len(left) != 1 || left[0].EventID != "unsent" {
		t.Errorf("ClaimOutbox after prune = %v, %v, want the unsent message", left, err)
	}
}
