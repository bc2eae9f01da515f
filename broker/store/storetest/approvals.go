package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dataproc-iis/iis/broker/store"
)

func approvalRequest(id, user string, expires time.Time) store.ApprovalRequest {
	return store.ApprovalRequest{
		RequestKey: store.EventKey("//composer/dag", id), RequestID: id, Source: "//composer/dag",
		Traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		Principal:   user + "@example.com", UserID: "u-" + user, Role: "curated-writer", Binding: "group:data-eng", Status: store.ApprovalPending,
		RequestDigest: "sha256:" + id, PolicyVersion: "sha256:p1",
		Requester: json.RawMessage(`{"id":"` + user + `@example.com","type":"human"}`),
		Facts:     json.RawMessage(`{"target":{"project":"p","region":"r"},"job":{"type":"pyspark"}}`),
		Requirements: []store.ApprovalRequirement{{Rule: "role:curated-writer", Approvers: []string{"data-owners"}, Count: 2, Reason: "curated"},
			{Rule: "large-jobs", Approvers: []string{"oncall"}, Count: 1}},
		Chain:     []string{"u-" + user, "u-owner"},
		Window:    8 * time.Hour,
		EventID:   "ev-requested-" + id,
		ExpiresAt: expires,
	}
}

func testApprovalRequests(t *testing.T, s store.Store) {
	now := at("2030-01-01T12:00:00Z")
	r1 := approvalRequest("r1", "alice", now.Add(time.Hour))
	r2 := approvalRequest("r2", "alice", now.Add(-time.Minute))
	r3 := approvalRequest("r3", "bob", now.Add(2*time.Hour))
	r3.Chain, r3.Window = nil, 0
	before := time.Now()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []store.ApprovalRequest{r1, r2, r3} {
			if err := tx.PutApprovalRequest(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	after := time.Now()
	bad := func(edit func(*store.ApprovalRequest)) store.ApprovalRequest {
		r := approvalRequest("bad", "x", now)
		edit(&r)
		return r
	}
	for _, tt := range []struct {
		name string
		r    store.ApprovalRequest
		want error
	}{
		{"again", r1, store.ErrConflict},
		{"no key", bad(func(r *store.ApprovalRequest) { r.RequestKey = "" }), store.ErrInvalid},
		{"no digest", bad(func(r *store.ApprovalRequest) { r.RequestDigest = "" }), store.ErrInvalid},
		{"closed", bad(func(r *store.ApprovalRequest) { r.Status = store.ApprovalApproved }), store.ErrInvalid},
		{"no requirements", bad(func(r *store.ApprovalRequest) { r.Requirements = nil }), store.ErrInvalid},
		{"no expiry", bad(func(r *store.ApprovalRequest) { r.ExpiresAt = time.Time{} }), store.ErrInvalid},
		{"facts not JSON", bad(func(r *store.ApprovalRequest) { r.Facts = json.RawMessage("{") }), store.ErrInvalid},
	} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.PutApprovalRequest(ctx, tt.r) })
		wantErr(t, "PutApprovalRequest("+tt.name+")", err, tt.want)
	}
	r3.Chain = []string{}
	ignoreCreated := cmpopts.IgnoreFields(store.ApprovalRequest{}, "CreatedAt")
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetApprovalRequest(ctx, r1.RequestKey)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(r1, got, ignoreCreated); diff != "" {
			t.Errorf("GetApprovalRequest(r1) (-want +got):\n%s", diff)
		}
		within(t, "CreatedAt", got.CreatedAt, before, after)
		_, err = tx.GetApprovalRequest(ctx, "unknown")
		wantErr(t, "GetApprovalRequest(unknown)", err, store.ErrNotFound)
		for _, q := range []struct {
			name string
			q    store.ApprovalQuery
			want []store.ApprovalRequest
		}{
			{"all", store.ApprovalQuery{}, []store.ApprovalRequest{r1, r2, r3}},
			{"alice's", store.ApprovalQuery{UserID: "u-alice"}, []store.ApprovalRequest{r1, r2}},
			{"by principal", store.ApprovalQuery{Principal: "bob@example.com", Status: store.ApprovalPending}, []store.ApprovalRequest{r3}},
			{"by request id", store.ApprovalQuery{RequestID: "r2"}, []store.ApprovalRequest{r2}},
			{"expired", store.ApprovalQuery{Status: store.ApprovalPending, ExpiresBefore: now}, []store.ApprovalRequest{r2}},
			{"limit", store.ApprovalQuery{Limit: 1}, []store.ApprovalRequest{r1}},
			{"other role", store.ApprovalQuery{Role: "etl"}, nil},
		} {
			got, err := tx.ListApprovalRequests(ctx, q.q)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(q.want, got, ignoreCreated, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListApprovalRequests(%s) (-want +got):\n%s", q.name, diff)
			}
		}
		return nil
	})

	// Closing: once, with the event that closed it and the window's end.
	closedAt, until := now.Add(time.Minute), now.Add(8*time.Hour)
	for _, st := range []struct {
		key, status string
		until       time.Time
		want        bool
		wantErr     error
	}{
		{r1.RequestKey, store.ApprovalApproved, until, true, nil},
		{r1.RequestKey, store.ApprovalExpired, time.Time{}, false, nil}, // closed once
		{r2.RequestKey, store.ApprovalPending, time.Time{}, false, store.ErrInvalid},
		{r2.RequestKey, "done", time.Time{}, false, store.ErrInvalid},
		{"unknown", store.ApprovalExpired, time.Time{}, false, store.ErrNotFound},
	} {
		var changed bool
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			var err error
			changed, err = tx.CloseApprovalRequest(ctx, st.key, st.status, "ev-closed", closedAt, st.until)
			return err
		})
		wantErr(t, "CloseApprovalRequest("+st.status+")", err, st.wantErr)
		if changed != st.want {
			t.Errorf("CloseApprovalRequest(%q, %s) = %v, want %v", st.key, st.status, changed, st.want)
		}
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetApprovalRequest(ctx, r1.RequestKey)
		if err != nil {
			return err
		}
		if got.Status != store.ApprovalApproved || got.ClosedBy != "ev-closed" || got.ClosedAt == nil || !got.ClosedAt.Equal(closedAt) || !got.WindowUntil.Equal(until) {
			t.Errorf("closed request = status %s by %q at %v, window until %v", got.Status, got.ClosedBy, got.ClosedAt, got.WindowUntil)
		}
		windows, err := tx.ListApprovalRequests(ctx, store.ApprovalQuery{Status: store.ApprovalApproved, UserID: "u-alice", Role: "curated-writer", WindowAfter: now.Add(time.Hour)})
		if err != nil {
			return err
		}
		if len(windows) != 1 || windows[0].RequestID != "r1" {
			t.Errorf("ListApprovalRequests(window open) = %v, want r1", windows)
		}
		windows, err = tx.ListApprovalRequests(ctx, store.ApprovalQuery{WindowAfter: until})
		if err == nil && len(windows) != 0 {
			t.Errorf("ListApprovalRequests(window closed) = %v, want none", windows)
		}
		return err
	})
}

func testApprovals(t *testing.T, s store.Store) {
	now := at("2030-01-01T12:00:00Z")
	r1, r2 := approvalRequest("r1", "alice", now.Add(time.Hour)), approvalRequest("r2", "alice", now.Add(time.Hour))
	answer := func(r store.ApprovalRequest, approver, verdict string, at time.Time) store.Approval {
		return store.Approval{RequestKey: r.RequestKey, ApproverID: "u-" + approver, Approver: approver + "@example.com",
			Verdict: verdict, EventKey: store.EventKey("//cli/"+approver, "ev-"+approver+"-"+r.RequestID),
			EventID: "rec-" + approver + "-" + r.RequestID, TokenFingerprint: "sha256:0123456789abcdef01234567", Comment: "ok", At: at}
	}
	g1, c1 := answer(r1, "grace", store.VerdictGranted, now), answer(r1, "carol", store.VerdictGranted, now.Add(time.Second))
	c1.TokenGroups = []string{"data-owners"}
	g2 := answer(r2, "grace", store.VerdictRejected, now.Add(2*time.Second))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []store.ApprovalRequest{r1, r2} {
			if err := tx.PutApprovalRequest(ctx, r); err != nil {
				return err
			}
		}
		for _, a := range []store.Approval{c1, g1, g2} {
			if err := tx.PutApproval(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	again := g1
	again.EventKey, again.Verdict = "another event", store.VerdictRejected
	noVerdict := c1
	noVerdict.ApproverID, noVerdict.Verdict = "u-x", "maybe"
	unknown := answer(store.ApprovalRequest{RequestKey: "unknown"}, "x", store.VerdictGranted, now)
	for _, tt := range []struct {
		name string
		a    store.Approval
		want error
	}{
		{"the same approver again", again, store.ErrConflict},
		{"bad verdict", noVerdict, store.ErrInvalid},
		{"unknown request", unknown, store.ErrNotFound},
	} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.PutApproval(ctx, tt.a) })
		wantErr(t, "PutApproval("+tt.name+")", err, tt.want)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ListApprovals(ctx, r1.RequestKey)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]store.Approval{g1, c1}, got); diff != "" {
			t.Errorf("ListApprovals(r1) (-want +got):\n%s", diff)
		}
		mine, err := tx.ApprovalsByApprover(ctx, "u-grace")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]store.Approval{g1, g2}, mine); diff != "" {
			t.Errorf("ApprovalsByApprover(grace) (-want +got):\n%s", diff)
		}
		return nil
	})
	// A withdrawn answer, or one to a closed request, is no longer listed
	// as the approver's.
	withdrawnAt := now.Add(time.Minute)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		changed, err := tx.WithdrawApproval(ctx, r1.RequestKey, "u-grace", "leaver", withdrawnAt)
		if err != nil || !changed {
			return fmt.Errorf("WithdrawApproval = %v, %v; want true", changed, err)
		}
		if changed, err = tx.WithdrawApproval(ctx, r1.RequestKey, "u-grace", "mover", now); err != nil || changed {
			return fmt.Errorf("WithdrawApproval again = %v, %v; want false", changed, err)
		}
		_, err = tx.CloseApprovalRequest(ctx, r2.RequestKey, store.ApprovalRejected, "ev-denied", now, time.Time{})
		return err
	})
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.WithdrawApproval(ctx, r1.RequestKey, "u-nobody", "x", now)
		return err
	})
	wantErr(t, "WithdrawApproval(unknown)", err, store.ErrNotFound)
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		mine, err := tx.ApprovalsByApprover(ctx, "u-grace")
		if err == nil && len(mine) != 0 {
			t.Errorf("ApprovalsByApprover(grace) after withdrawal and rejection = %v, want none", mine)
		}
		all, err := tx.ListApprovals(ctx, r1.RequestKey)
		if err != nil {
			return err
		}
		if w := all[0]; w.ApproverID != "u-grace" || w.WithdrawnAt == nil || !w.WithdrawnAt.Equal(withdrawnAt) || w.WithdrawReason != "leaver" {
			t.Errorf("withdrawn approval = %+v, want grace's, withdrawn at %v for leaver", w, withdrawnAt)
		}
		return nil
	})
}
