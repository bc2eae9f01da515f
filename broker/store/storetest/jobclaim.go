package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/store"
)

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
		_, err := tx.UpdateJobState(ctx, "a", "RUNNING", false, now.Add(5*time.Minute))
		return err
	})
	if diff := cmp.Diff([]string{"b", "c"}, requestIDs(claim(now.Add(2*time.Minute), 10))); diff != "" {
		t.Errorf("claim after the lease (-want +got):\n%s", diff)
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
	var (
		mu      sync.Mutex
		claimed = map[string]int{}
		g       errgroup.Group
	)
	for w := range workers {
		g.Go(func() error {
			for {
				got, err := s.ClaimDueJobs(context.Background(), t0.Add(time.Second), time.Hour, 7)
				if err != nil || len(got) == 0 {
					return err
				}
				mu.Lock()
				for _, j := range got {
					if prev, dup := claimed[j.RequestID]; dup {
						mu.Unlock()
						return fmt.Errorf("job %s claimed by watchers %d and %d", j.RequestID, prev, w)
					}
					claimed[j.RequestID] = w
				}
				mu.Unlock()
			}
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(claimed) != total {
		t.Errorf("watchers claimed %d jobs, want %d", len(claimed), total)
	}
}
