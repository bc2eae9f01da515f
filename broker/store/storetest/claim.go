package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

// ids returns the IDs of ms.
func ids(ms []store.OutboxMessage) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func testClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ms []store.OutboxMessage
	for i := range 5 {
		ms = append(ms, msg("audit", fmt.Sprintf("m%d", i)))
	}
	all := ids(enqueue(t, s, ms...))

	claim := func(owner string, limit int) []store.OutboxMessage {
		t.Helper()
		got, err := s.ClaimOutbox(ctx, owner, limit, time.Hour)
		if err != nil {
			t.Fatalf("ClaimOutbox(%s, %d): %v", owner, limit, err)
		}
		return got
	}
	first := claim("relay-1", 2)
	if diff := cmp.Diff(all[:2], ids(first)); diff != "" {
		t.Errorf("ClaimOutbox(relay-1, 2): ids mismatch (-want +got):\n%s", diff)
	}
	for _, m := range first {
		if m.Attempts != 1 || m.SentAt != nil {
			t.Errorf("claimed message %d: Attempts %d, SentAt %v, want 1, nil", m.ID, m.Attempts, m.SentAt)
		}
	}
	second := claim("relay-2", 10)
	if diff := cmp.Diff(all[2:], ids(second)); diff != "" {
		t.Errorf("ClaimOutbox(relay-2, 10) while relay-1 holds a lease: ids mismatch (-want +got):\n%s", diff)
	}
	if got := claim("relay-3", 10); len(got) != 0 {
		t.Errorf("ClaimOutbox with every message leased = %v, want none", ids(got))
	}

	before := time.Now()
	if err := s.MarkSent(ctx, all...); err != nil {
		t.Fatalf("MarkSent: %v", err)
	}
	if err := s.MarkSent(ctx, append(all, 999999)...); err != nil { // twice, and an unknown id
		t.Fatalf("MarkSent again: %v", err)
	}
	if err := s.MarkSent(ctx); err != nil {
		t.Fatalf("MarkSent(): %v", err)
	}
	enqueue(t, s, audited("c1"))
	sequence(t, s)
	trail, err := s.AuditTrail(ctx, 0, 0)
	if err != nil || len(trail) != 1 || trail[0].SentAt != nil {
		t.Fatalf("AuditTrail = %v, %v, want one unsent message", trail, err)
	}
	// Sent messages are never claimed again; the new one is.
	if got := claim("relay-3", 10); len(got) != 1 || got[0].EventID != "c1" {
		t.Errorf("ClaimOutbox after MarkSent = %v, want only the new message", got)
	}
	if err := s.MarkSent(ctx, trail[0].ID); err != nil {
		t.Fatalf("MarkSent: %v", err)
	}
	trail, err = s.AuditTrail(ctx, 0, 0)
	if err != nil || len(trail) != 1 || trail[0].SentAt == nil {
		t.Fatalf("AuditTrail = %v, %v, want one sent message", trail, err)
	}
	within(t, "SentAt", *trail[0].SentAt, before, time.Now())

	invalid := []struct {
		owner string
		limit int
		lease time.Duration
	}{{"", 1, time.Hour}, {"r", 0, time.Hour}, {"r", 1, 0}}
	for _, tt := range invalid {
		_, err := s.ClaimOutbox(ctx, tt.owner, tt.limit, tt.lease)
		wantErr(t, fmt.Sprintf("ClaimOutbox(%q, %d, %v)", tt.owner, tt.limit, tt.lease), err, store.ErrInvalid)
	}
}

func testClaimLease(t *testing.T, s store.Store) {
	ctx := context.Background()
	enqueue(t, s, msg("audit", "m1"))
	// A lease shorter than the store's time precision has expired as soon
	// as it is granted: the message is claimable again, deterministically.
	for attempt := 1; attempt <= 3; attempt++ {
		got, err := s.ClaimOutbox(ctx, fmt.Sprintf("relay-%d", attempt), 10, time.Nanosecond)
		if err != nil {
			t.Fatalf("ClaimOutbox: %v", err)
		}
		if len(got) != 1 || got[0].Attempts != attempt {
			t.Fatalf("ClaimOutbox #%d after the lease expired = %+v, want the message with Attempts %d", attempt, got, attempt)
		}
	}
	if got, err := s.ClaimOutbox(ctx, "relay-4", 10, time.Hour); err != nil || len(got) != 1 {
		t.Fatalf("ClaimOutbox(1h) = %v, %v, want the message", got, err)
	}
	if got, err := s.ClaimOutbox(ctx, "relay-5", 10, time.Hour); err != nil || len(got) != 0 {
		t.Errorf("ClaimOutbox during a 1h lease = %v, %v, want nothing", got, err)
	}
}

func requestIDs(js []store.Job) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.RequestID)
	}
	return out
}

func testJobClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := at("2030-01-01T00:00:00Z")
	done := job("done", "alice", t0)
	done.State, done.Ended = "SUCCEEDED", true
	putJobs(t, s, job("c", "alice", t0.Add(time.Second)), job("a", "alice", t0.Add(2*time.Second)),
		job("b", "bob", t0.Add(3*time.Second)), job("later", "bob", t0.Add(time.Hour)), done)

	claim := func(now time.Time, limit int) []store.Job {
		t.Helper()
		js, err := s.ClaimDueJobs(ctx, now, time.Minute, limit)
		if err != nil {
			t.Fatalf("ClaimDueJobs(%v, %d): %v", now, limit, err)
		}
		return js
	}
	now := t0.Add(10 * time.Second)
	first := claim(now, 2) // the two soonest due, returned by id
	if diff := cmp.Diff([]string{"a", "c"}, requestIDs(first)); diff != "" {
		t.Errorf("first claim (-want +got):\n%s", diff)
	}
	for _, j := range first {
		if !j.NextPollAt.Equal(now.Add(time.Minute)) || j.State != "PENDING" {
			t.Errorf("claimed %s: next poll %v, state %s, want %v, PENDING", j.RequestID, j.NextPollAt, j.State, now.Add(time.Minute))
		}
	}
	if diff := cmp.Diff([]string{"b"}, requestIDs(claim(now, 10))); diff != "" {
		t.Errorf("second claim, while the first holds its lease (-want +got):\n%s", diff)
	}
	if got := claim(now, 10); len(got) != 0 {
		t.Errorf("third claim = %v, want none: every due job is leased", requestIDs(got))
	}
	// The claimant reschedules one; the other's lease runs out.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.UpdateJobState(ctx, "a", "RUNNING", false, now.Add(5*time.Minute), "")
		return err
	})
	later := now.Add(2 * time.Minute)
	if diff := cmp.Diff([]string{"b", "c"}, requestIDs(claim(later, 10))); diff != "" {
		t.Errorf("claim after the lease (-want +got):\n%s", diff)
	}
	// A watcher that stops hands its claims back: due again at once.
	if err := s.ReleaseJobs(ctx, []string{"b", "done", "unknown"}, later); err != nil {
		t.Fatalf("ReleaseJobs: %v", err)
	}
	if diff := cmp.Diff([]string{"b"}, requestIDs(claim(later, 10))); diff != "" {
		t.Errorf("claim after ReleaseJobs (-want +got):\n%s", diff)
	}
	for _, bad := range []struct {
		lease time.Duration
		limit int
	}{{0, 1}, {time.Minute, 0}} {
		_, err := s.ClaimDueJobs(ctx, now, bad.lease, bad.limit)
		wantErr(t, fmt.Sprintf("ClaimDueJobs(lease %v, limit %d)", bad.lease, bad.limit), err, store.ErrInvalid)
	}
}

// testConcurrentJobClaim: watchers claiming at once never get one job twice.
func testConcurrentJobClaim(t *testing.T, s store.Store) {
	const total = 90
	t0 := at("2030-01-01T00:00:00Z")
	var js []store.Job
	for i := range total {
		js = append(js, job(fmt.Sprintf("r%03d", i), "alice", t0))
	}
	putJobs(t, s, js...)
	n := claimAll(t, func(ctx context.Context, _ int) ([]string, error) {
		got, err := s.ClaimDueJobs(ctx, t0.Add(time.Second), time.Hour, 7)
		return requestIDs(got), err
	})
	if n != total {
		t.Errorf("watchers claimed %d jobs, want %d", n, total)
	}
}
