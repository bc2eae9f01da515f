package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

// testGauges: the outbox backlog counts unsent messages and dates the
// oldest; active jobs are counted by state, ended ones not at all.
func testGauges(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, oldest, err := s.OutboxBacklog(ctx)
	if err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("OutboxBacklog(empty) = %d, %v, %v; want 0, zero time", n, oldest, err)
	}
	before := time.Now().Add(-time.Minute)
	ms := enqueue(t, s, msg("audit", "g1"), msg("audit", "g2"), msg("identity", "g3"))
	if err := s.MarkSent(ctx, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	n, oldest, err = s.OutboxBacklog(ctx)
	if err != nil || n != 2 || oldest.Before(before) || oldest.After(time.Now().Add(time.Minute)) {
		t.Errorf("OutboxBacklog() = %d, %v, %v; want 2 unsent, created about now", n, oldest, err)
	}

	t0 := at("2030-01-01T00:00:00Z")
	a, b, c := job("j1", "alice", t0), job("j2", "alice", t0), job("j3", "bob", t0)
	b.State = "RUNNING"
	putJobs(t, s, a, b, c)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.UpdateJobState(ctx, "j3", "SUCCEEDED", true, t0, "")
		return err
	})
	got, err := s.ActiveJobsByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int64{"PENDING": 1, "RUNNING": 1}, got); diff != "" {
		t.Errorf("ActiveJobsByState() mismatch (-want +got):\n%s", diff)
	}
}
