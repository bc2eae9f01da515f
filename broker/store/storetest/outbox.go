package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
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
		{"seq set by the caller", store.OutboxMessage{Topic: "audit", EventID: "e9", Chain: true, Seq: 1, Hash: "h"}, store.ErrInvalid},
		{"hash set by the caller", store.OutboxMessage{Topic: "audit", EventID: "e9", Chain: true, Hash: "h"}, store.ErrInvalid},
		{"negative seq", store.OutboxMessage{Topic: "audit", EventID: "e9", Seq: -1}, store.ErrInvalid},
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

// audited is an audit record, to be chained by SequenceAudit.
func audited(id string) store.OutboxMessage {
	m := msg("audit", id)
	m.Chain = true
	return m
}

// testLink is the suite's linker: it records the position in an attribute
// and hashes the predecessor's hash with the event id.
func testLink(m *store.OutboxMessage, seq int64, prev string) error {
	attrs := maps.Clone(m.Attributes)
	attrs["ce-auditseq"] = strconv.FormatInt(seq, 10)
	m.Attributes, m.Hash = attrs, nextHash(prev, m.EventID)
	return nil
}

// sequence chains everything pending.
func sequence(t testing.TB, s store.Store) int {
	t.Helper()
	total := 0
	for {
		n, err := s.SequenceAudit(context.Background(), 100, testLink)
		if err != nil {
			t.Fatalf("SequenceAudit: %v", err)
		}
		total += n
		if n < 100 {
			return total
		}
	}
}

func testChain(t *testing.T, s store.Store) {
	ctx := context.Background()
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
	got := enqueue(t, s, audited("a"), msg("audit", "plain"), audited("b"))
	head(0, "")
	if n, oldest, err := s.UnchainedAudit(ctx); err != nil || n != 2 || !oldest.Equal(got[0].CreatedAt) {
		t.Errorf("UnchainedAudit() = %d, %v, %v; want 2, %v", n, oldest, err, got[0].CreatedAt)
	}
	// Only the plain message may be published before the sequencer ran.
	claimed, err := s.ClaimOutbox(ctx, "relay", 10, time.Hour)
	if err != nil || len(claimed) != 1 || claimed[0].EventID != "plain" {
		t.Fatalf("ClaimOutbox() before sequencing = %v, %v; want only the unchained plain message", claimed, err)
	}

	// A failing linker changes nothing.
	boom := func(*store.OutboxMessage, int64, string) error { return errBoom }
	if n, err := s.SequenceAudit(ctx, 10, boom); err == nil || n != 0 {
		t.Errorf("SequenceAudit(failing linker) = %d, %v; want 0 and an error", n, err)
	}
	head(0, "")
	for _, limit := range []int{0, -1} {
		if _, err := s.SequenceAudit(ctx, limit, testLink); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SequenceAudit(limit %d) = %v, want ErrInvalid", limit, err)
		}
	}

	if n, err := s.SequenceAudit(ctx, 1, testLink); err != nil || n != 1 {
		t.Fatalf("SequenceAudit(1) = %d, %v; want 1", n, err)
	}
	h1 := nextHash("", "a")
	head(1, h1)
	if n, err := s.SequenceAudit(ctx, 10, testLink); err != nil || n != 1 {
		t.Fatalf("SequenceAudit(10) = %d, %v; want the 1 left", n, err)
	}
	h2 := nextHash(h1, "b")
	head(2, h2)
	if n, err := s.SequenceAudit(ctx, 10, testLink); err != nil || n != 0 {
		t.Errorf("SequenceAudit(nothing pending) = %d, %v; want 0", n, err)
	}
	if n, _, err := s.UnchainedAudit(ctx); err != nil || n != 0 {
		t.Errorf("UnchainedAudit() after sequencing = %d, %v; want 0", n, err)
	}
	trail, err := s.AuditTrail(ctx, 0, 0)
	if err != nil || len(trail) != 2 {
		t.Fatalf("AuditTrail() = %v, %v; want 2 records", trail, err)
	}
	for i, m := range trail {
		want := got[2*i]
		want.Seq, want.Hash = int64(i+1), []string{h1, h2}[i]
		want.Attributes = maps.Clone(want.Attributes)
		want.Attributes["ce-auditseq"] = strconv.Itoa(i + 1)
		if diff := cmp.Diff(want, m, ignoreClaim); diff != "" {
			t.Errorf("AuditTrail()[%d] mismatch (-want +got):\n%s", i, diff)
		}
	}
	claimed, err = s.ClaimOutbox(ctx, "relay", 10, time.Hour)
	if err != nil || len(claimed) != 2 || claimed[0].Seq != 1 || claimed[1].Seq != 2 {
		t.Errorf("ClaimOutbox() after sequencing = %v, %v; want the two chained records", claimed, err)
	}
}

func testCheckpoints(t *testing.T, s store.Store) {
	var id string
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if id, err = tx.ChainID(ctx); err != nil || len(id) < 16 {
			t.Errorf("ChainID() = %q, %v; want a random id", id, err)
		}
		if _, found, err := tx.LastCheckpoint(ctx); err != nil || found {
			t.Errorf("LastCheckpoint() on a new chain = found %v, %v; want none", found, err)
		}
		return nil
	})
	c1 := store.Checkpoint{Seq: 10, Hash: "h10", SignedAt: at("2026-12-01T10:00:00Z"), KeyID: "k/1", Object: "gs://b/c/10.json"}
	c2 := store.Checkpoint{Seq: 25, Hash: "h25", SignedAt: at("2026-12-01T10:01:00Z"), KeyID: "k/1", Object: "gs://b/c/25.json"}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range []store.Checkpoint{c2, c1} {
			if first, err := tx.PutCheckpoint(ctx, c); err != nil || !first {
				t.Errorf("PutCheckpoint(%d) = %v, %v; want first", c.Seq, first, err)
			}
		}
		again := c1
		again.Hash = "other"
		if first, err := tx.PutCheckpoint(ctx, again); err != nil || first {
			t.Errorf("PutCheckpoint(seq 10 again) = %v, %v; want not first", first, err)
		}
		_, err := tx.PutCheckpoint(ctx, store.Checkpoint{Seq: 3})
		wantErr(t, "PutCheckpoint(incomplete)", err, store.ErrInvalid)
		return nil
	})
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		last, found, err := tx.LastCheckpoint(ctx)
		if err != nil || !found {
			t.Fatalf("LastCheckpoint() = %v, %v", found, err)
		}
		if diff := cmp.Diff(c2, last); diff != "" {
			t.Errorf("LastCheckpoint() mismatch (-want +got):\n%s", diff)
		}
		if again, err := tx.ChainID(ctx); err != nil || again != id {
			t.Errorf("ChainID() = %q, %v; want the same %q", again, err, id)
		}
		return nil
	})
}

func testAuditTrail(t *testing.T, s store.Store) {
	var want []store.OutboxMessage
	for seq := int64(1); seq <= 5; seq++ {
		got := enqueue(t, s, msg("audit", fmt.Sprintf("plain%d", seq)), audited(fmt.Sprintf("c%d", seq)))
		want = append(want, got[1])
	}
	sequence(t, s)
	ctx := context.Background()
	trail, err := s.AuditTrail(ctx, 0, 0)
	if err != nil || len(trail) != len(want) {
		t.Fatalf("AuditTrail() = %d, %v", len(trail), err)
	}
	for i := range want {
		want[i].Seq, want[i].Hash, want[i].Attributes = trail[i].Seq, trail[i].Hash, trail[i].Attributes
	}
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
	ms := enqueue(t, s, msg("audit", "sent"), audited("c1"), msg("audit", "unsent"))
	sequence(t, s)
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
