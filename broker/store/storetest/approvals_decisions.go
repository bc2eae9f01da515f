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

func testResolveDecision(t *testing.T, s store.Store) {
	pending := store.Decision{RequestKey: "k1", RequestID: "r1", Principal: "alice", Outcome: store.OutcomePending,
		Role: "curated-writer", Reasons: []string{"approval_required"}, EventID: "ev-requested", DecidedAt: at("2030-01-01T12:00:00Z")}
	done := pending
	done.RequestKey, done.Outcome = "k2", store.OutcomeApproved
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, d := range []store.Decision{pending, done} {
			if _, err := tx.RecordDecision(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	for _, st := range []struct {
		key, outcome string
		want         bool
		wantErr      error
	}{
		{"k1", store.OutcomeApproved, true, nil},
		{"k1", store.OutcomeDenied, false, nil}, // settled once
		{"k2", store.OutcomeDenied, false, nil}, // never pending
		{"k1", store.OutcomePending, false, store.ErrInvalid},
		{"unknown", store.OutcomeDenied, false, store.ErrNotFound},
	} {
		var changed bool
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			var err error
			changed, err = tx.ResolveDecision(ctx, st.key, st.outcome, "ev-"+st.outcome, []string{"approval_granted"})
			return err
		})
		wantErr(t, "ResolveDecision("+st.key+", "+st.outcome+")", err, st.wantErr)
		if changed != st.want {
			t.Errorf("ResolveDecision(%s, %s) = %v, want %v", st.key, st.outcome, changed, st.want)
		}
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetDecision(ctx, "k1")
		if err != nil {
			return err
		}
		if got.Outcome != store.OutcomeApproved || got.EventID != "ev-approved" || !cmp.Equal(got.Reasons, []string{"approval_required", "approval_granted"}) {
			t.Errorf("resolved decision = %s %s %v, want approved by ev-approved with both reasons", got.Outcome, got.EventID, got.Reasons)
		}
		if got, _ := tx.GetDecision(ctx, "k2"); got.Outcome != store.OutcomeApproved || got.EventID != "ev-requested" {
			t.Errorf("a decision that never waited changed: %+v", got)
		}
		return nil
	})
}

// testConcurrentApprovalClose: approvers whose answers complete a request
// at the same time close it once.
func testConcurrentApprovalClose(t *testing.T, s store.Store) {
	r := approvalRequest("r1", "alice", at("2030-01-01T13:00:00Z"))
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutApprovalRequest(ctx, r) })
	var (
		mu      sync.Mutex
		winners []int
		g       errgroup.Group
	)
	for w := range workers {
		g.Go(func() error {
			var closed bool
			err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				err := tx.PutApproval(ctx, store.Approval{RequestKey: r.RequestKey, ApproverID: fmt.Sprintf("u%d", w), Approver: fmt.Sprintf("a%d", w),
					Verdict: store.VerdictGranted, EventKey: fmt.Sprintf("e%d", w), EventID: fmt.Sprintf("rec%d", w), At: at("2030-01-01T12:00:00Z")})
				if err != nil {
					return err
				}
				closed, err = tx.CloseApprovalRequest(ctx, r.RequestKey, store.ApprovalApproved, fmt.Sprintf("ev%d", w), at("2030-01-01T12:00:01Z"), time.Time{})
				return err
			})
			if closed {
				mu.Lock()
				winners = append(winners, w)
				mu.Unlock()
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(winners) != 1 {
		t.Fatalf("CloseApprovalRequest from %d goroutines closed it for %v, want exactly one", workers, winners)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		as, err := tx.ListApprovals(ctx, r.RequestKey)
		if err == nil && len(as) != workers {
			t.Errorf("ListApprovals = %d answers, want %d", len(as), workers)
		}
		return err
	})
}
