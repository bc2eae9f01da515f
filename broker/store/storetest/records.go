package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

func testDecisions(t *testing.T, s store.Store) {
	d := store.Decision{
		RequestKey:     store.EventKey("//composer/dag-1", "req-1"),
		RequestID:      "req-1",
		Principal:      "alice@example.com",
		Outcome:        store.OutcomeApproved,
		Role:           "etl",
		ServiceAccount: "etl@proj.iam.gserviceaccount.com",
		PolicyVersion:  "sha256:abc",
		Reasons:        []string{"member of data-engineers", "target allowed"},
		DecidedAt:      at("2030-01-02T03:04:05.678901Z"),
		// Caps of the approval survive a round trip (millisecond precision).
		MaxDuration:        2 * time.Hour,
		CredentialLifetime: 10*time.Minute + 500*time.Millisecond,
		RequestDigest:      "sha256:0123abcd",
		UserID:             "00u1a2b3c4",
		EventID:            "ev-decision-1",
	}
	second := d
	second.Outcome, second.Reasons = store.OutcomeDenied, nil
	noReasons := d
	noReasons.RequestKey, noReasons.Reasons = "k2", nil
	tests := []struct {
		d         store.Decision
		wantFirst bool
		wantErr   error
	}{
		{d, true, nil},
		{second, false, nil}, // a redelivery keeps the first decision
		{noReasons, true, nil},
		{store.Decision{RequestKey: "k3", RequestID: "r", Principal: "p", Outcome: "maybe"}, false, store.ErrInvalid},
		{store.Decision{RequestKey: "", RequestID: "r", Principal: "p", Outcome: store.OutcomeDenied}, false, store.ErrInvalid},
	}
	for _, tt := range tests {
		var first bool
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			var err error
			first, err = tx.RecordDecision(ctx, tt.d)
			return err
		})
		wantErr(t, "RecordDecision("+tt.d.RequestKey+")", err, tt.wantErr)
		if first != tt.wantFirst {
			t.Errorf("RecordDecision(%q, %s) = %v, want %v", tt.d.RequestKey, tt.d.Outcome, first, tt.wantFirst)
		}
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, want := range []store.Decision{d, noReasons} {
			got, err := tx.GetDecision(ctx, want.RequestKey)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GetDecision(%q): mismatch (-want +got):\n%s", want.RequestKey, diff)
			}
		}
		_, err := tx.GetDecision(ctx, "unknown")
		wantErr(t, "GetDecision(unknown)", err, store.ErrNotFound)
		return nil
	})
}

// job returns a running batch of a principal.
func job(requestID, principal string, nextPoll time.Time) store.Job {
	return store.Job{
		RequestID: requestID, RequestKey: store.EventKey("//src", requestID), Principal: principal, UserID: "u-" + principal,
		Role: "etl", ServiceAccount: "etl@p.iam.gserviceaccount.com", Kind: store.KindBatch,
		Project: "p", Region: "europe-west1", DataprocID: "iis-" + requestID, DataprocRequestID: "iis-" + requestID,
		Resource: "projects/p/locations/europe-west1/batches/iis-" + requestID, State: "PENDING", NextPollAt: nextPoll,
	}
}

// putJobs stores js.
func putJobs(t testing.TB, s store.Store, js ...store.Job) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, j := range js {
			if err := tx.PutJob(ctx, j); err != nil {
				return err
			}
		}
		return nil
	})
}

// ignoreStamps ignores the times the store sets.
var ignoreStamps = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".CreatedAt", ".UpdatedAt":
		return true
	}
	return false
}, cmp.Ignore())

func testJobs(t *testing.T, s store.Store) {
	t0 := at("2030-01-01T00:00:00Z")
	a1, a2 := job("a1", "alice", t0.Add(2*time.Second)), job("a2", "alice", t0.Add(time.Second))
	b1 := job("b1", "bob", t0.Add(3*time.Second))
	b1.Kind, b1.Cluster, b1.LastEventID = store.KindJob, "etl-cluster", "ev-submitted"
	b1.Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	putJobs(t, s, a1, a2, b1)

	var created time.Time
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetJob(ctx, "b1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(b1, got, ignoreStamps); diff != "" {
			t.Errorf("GetJob: mismatch (-put +got):\n%s", diff)
		}
		created = got.CreatedAt
		_, err = tx.GetJob(ctx, "nope")
		wantErr(t, "GetJob(unknown)", err, store.ErrNotFound)
		return nil
	})
	// PutJob again (a redelivery after submit) replaces, keeping CreatedAt,
	// and keeps the last event when it names none.
	b1.State, b1.Attempts = "RUNNING", 2
	again := b1
	again.LastEventID, again.Traceparent = "", ""
	putJobs(t, s, again)

	tests := []struct {
		name string
		list func(ctx context.Context, tx store.Tx) ([]store.Job, error)
		want []store.Job
	}{
		{"due now, soonest first", func(ctx context.Context, tx store.Tx) ([]store.Job, error) {
			return tx.ListActiveJobs(ctx, t0.Add(10*time.Second), 0)
		}, []store.Job{a2, a1, b1}},
		{"due by t0+2s", func(ctx context.Context, tx store.Tx) ([]store.Job, error) {
			return tx.ListActiveJobs(ctx, t0.Add(2*time.Second), 0)
		}, []store.Job{a2, a1}},
		{"limit", func(ctx context.Context, tx store.Tx) ([]store.Job, error) {
			return tx.ListActiveJobs(ctx, t0.Add(10*time.Second), 1)
		}, []store.Job{a2}},
		{"by principal", func(ctx context.Context, tx store.Tx) ([]store.Job, error) {
			return tx.ListActiveJobsByPrincipal(ctx, "bob")
		}, []store.Job{b1}},
		{"by user id", func(ctx context.Context, tx store.Tx) ([]store.Job, error) {
			return tx.ListActiveJobsByUser(ctx, "u-alice")
		}, []store.Job{a1, a2}},
		{"by no user id", func(ctx context.Context, tx store.Tx) ([]store.Job, error) {
			return tx.ListActiveJobsByUser(ctx, "")
		}, nil},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range tests {
			got, err := tt.list(ctx, tx)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(tt.want, got, ignoreStamps); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
		got, err := tx.GetJob(ctx, "b1")
		if err == nil && !got.CreatedAt.Equal(created) {
			t.Errorf("PutJob(existing) CreatedAt = %v, want %v kept", got.CreatedAt, created)
		}
		return err
	})
	for _, bad := range []store.Job{{RequestID: "x", Principal: "p", Kind: "vm"}, {Principal: "p", Kind: store.KindJob}} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.PutJob(ctx, bad) })
		wantErr(t, "PutJob(invalid)", err, store.ErrInvalid)
	}
}

func testJobState(t *testing.T, s store.Store) {
	t0 := at("2030-01-01T00:00:00Z")
	putJobs(t, s, job("r1", "alice", t0))
	steps := []struct {
		state        string
		ended        bool
		event        string // the event reporting the change ("" keeps the last)
		wantChanged  bool
		wantState    string
		wantAttempts int
		wantEvent    string
	}{
		{"PENDING", false, "", false, "PENDING", 1, ""},
		{"PENDING", false, "", false, "PENDING", 2, ""},
		{"RUNNING", false, "ev-running", true, "RUNNING", 0, "ev-running"},
		{"RUNNING", false, "", false, "RUNNING", 1, "ev-running"},
		{"SUCCEEDED", true, "ev-succeeded", true, "SUCCEEDED", 0, "ev-succeeded"},
		{"RUNNING", false, "ev-late", false, "SUCCEEDED", 0, "ev-succeeded"}, // a late poll cannot resurrect an ended job
	}
	for i, st := range steps {
		next := t0.Add(time.Duration(i+1) * time.Minute)
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			changed, err := tx.UpdateJobState(ctx, "r1", st.state, st.ended, next, st.event)
			if err != nil {
				return err
			}
			if changed != st.wantChanged {
				t.Errorf("UpdateJobState(%s, %v) = %v, want %v", st.state, st.ended, changed, st.wantChanged)
			}
			return nil
		})
		view(t, s, func(ctx context.Context, tx store.Tx) error {
			got, err := tx.GetJob(ctx, "r1")
			if err != nil {
				return err
			}
			if got.State != st.wantState || got.Attempts != st.wantAttempts || !got.Ended && st.ended || got.LastEventID != st.wantEvent {
				t.Errorf("after UpdateJobState(%s, %v, %q): State %s, Attempts %d, Ended %v, LastEventID %q; want %s, %d, %q",
					st.state, st.ended, st.event, got.State, got.Attempts, got.Ended, got.LastEventID, st.wantState, st.wantAttempts, st.wantEvent)
			}
			return nil
		})
	}
	// Re-putting an ended job keeps it ended, with its final state.
	putJobs(t, s, job("r1", "alice", t0))
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetJob(ctx, "r1")
		if err == nil && (!got.Ended || got.State != "SUCCEEDED") {
			t.Errorf("PutJob(ended job) = Ended %v, State %s; want true, SUCCEEDED", got.Ended, got.State)
		}
		active, err2 := tx.ListActiveJobsByPrincipal(ctx, "alice")
		if err2 == nil && len(active) != 0 {
			t.Errorf("ListActiveJobsByPrincipal after the job ended = %v, want none", active)
		}
		if err == nil {
			err = err2
		}
		return err
	})
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.UpdateJobState(ctx, "nope", "RUNNING", false, t0, "")
		return err
	})
	wantErr(t, "UpdateJobState(unknown)", err, store.ErrNotFound)
}
