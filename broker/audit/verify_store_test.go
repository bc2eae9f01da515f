package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/events"
)

func TestVerifyStore(t *testing.T) {
	ctx := context.Background()
	st, _ := storeChain(t, 10)
	for _, page := range []int{0, 1, 3, 10, 11} {
		got, err := audit.VerifyStore(ctx, st, audit.StoreOptions{PageSize: page})
		if err != nil {
			t.Fatalf("VerifyStore(page %d) = %v", page, err)
		}
		want := audit.Report{Records: 10, First: 1, Last: 10, HeadChecked: true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("VerifyStore(page %d) (-want +got):\n%s", page, diff)
		}
	}
}

func TestVerifyStoreEmpty(t *testing.T) {
	got, err := audit.VerifyStore(context.Background(), storetest.SQLite(t), audit.StoreOptions{})
	if err != nil || !got.OK() || got.Summary() != "verified 0 records: OK" {
		t.Errorf("VerifyStore(empty) = %+v, %v; want OK", got, err)
	}
}

// appending is a store that the broker extends while it is being verified.
type appending struct {
	store.Store
	t     *testing.T
	calls int
}

func (a *appending) AuditTrail(ctx context.Context, after int64, limit int) ([]store.OutboxMessage, error) {
	a.calls++
	if a.calls == 1 {
		log := audit.Log{Topic: "iis-audit"}
		for i := range 2 {
			e, err := events.NewEventRejected("//test/verify", events.Rejection{Reason: "malformed", MessageID: string(rune('a' + i))})
			if err != nil {
				a.t.Fatal(err)
			}
			if err := a.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error { return log.Append(ctx, tx, e) }); err != nil {
				a.t.Fatal(err)
			}
		}
		if _, err := audit.Sequence(ctx, a.Store, 0); err != nil {
			a.t.Fatal(err)
		}
	}
	return a.Store.AuditTrail(ctx, after, limit)
}

func TestVerifyStoreWhileAppending(t *testing.T) {
	st, _ := storeChain(t, 5)
	got, err := audit.VerifyStore(context.Background(), &appending{Store: st, t: t}, audit.StoreOptions{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !got.OK() || got.Last != 5 || got.Appended != 2 {
		t.Errorf("VerifyStore() = %s (last %d, appended %d); want OK up to seq 5, 2 appended\n%s", got.Summary(), got.Last, got.Appended, dump(got))
	}
}

type failing struct{ store.Store }

var errDown = errors.New("database is down")

func (failing) AuditTrail(context.Context, int64, int) ([]store.OutboxMessage, error) {
	return nil, errDown
}

func TestVerifyStoreError(t *testing.T) {
	st, _ := storeChain(t, 1)
	_, err := audit.VerifyStore(context.Background(), failing{st}, audit.StoreOptions{})
	if !errors.Is(err, errDown) || !strings.HasPrefix(err.Error(), "store.AuditTrail: ") {
		t.Errorf("VerifyStore(failing store) = %v; want store.AuditTrail: %v", err, errDown)
	}
}

// TestVerifyWindow moves a record further than the window: it is still
// reported, as out of order.
func TestVerifyWindow(t *testing.T) {
	msgs := memChain(t, 8)
	in := make([]audit.Record, 0, len(msgs))
	for i, m := range append(msgs[1:], msgs[0]) {
		in = append(in, audit.Record{Position: i + 1, Message: m})
	}
	got := audit.Verify(in, audit.VerifyOptions{Ordered: true, Window: 2})
	want := []finding{{audit.Reordered, 1, msgs[0].Attributes["ce-id"], 8}}
	if diff := cmp.Diff(want, findings(got)); diff != "" {
		t.Errorf("Verify(window 2) (-want +got):\n%s\n%s", diff, dump(got))
	}
	if got := audit.Verify(in, audit.VerifyOptions{Ordered: true}); len(got.Problems) != 1 || got.Problems[0].Kind != audit.Reordered {
		t.Errorf("Verify(default window) = %s; want 1 reordered", dump(got))
	}
}

// TestVerifyMaxProblems changes every record: the broken links between
// them are blamed on records 2..5, whose auditprev and hash both fail.
func TestVerifyMaxProblems(t *testing.T) {
	msgs := memChain(t, 6)
	var in []audit.Record
	for i, m := range msgs {
		m.Data[3] ^= 1
		in = append(in, audit.Record{Position: i, Message: m})
	}
	got := audit.Verify(in, audit.VerifyOptions{MaxProblems: 2})
	if len(got.Problems) != 2 || got.Omitted != 2 || got.OK() || !strings.HasSuffix(got.Summary(), ": 4 problems (2 not listed)") {
		t.Errorf("Verify(max 2) = %d problems, %d omitted, %q; want 2, 2", len(got.Problems), got.Omitted, got.Summary())
	}
}

func TestProblemFormat(t *testing.T) {
	tests := []struct {
		p    audit.Problem
		want string
	}{
		{audit.Problem{Kind: audit.Changed, Seq: 42, EventID: "e1", Position: 7, Detail: "d"}, "seq 42 (event e1, line 7): changed: d"},
		{audit.Problem{Kind: audit.Removed, Seq: 5, Position: 6, Detail: "d"}, "seq 5: removed: d"},
		{audit.Problem{Kind: audit.Malformed, Position: 3, Detail: "d"}, "line 3: malformed: d"},
		{audit.Problem{Kind: audit.Malformed, EventID: "e1", Position: 3, Detail: "d"}, "event e1, line 3: malformed: d"},
		{audit.Problem{Kind: audit.Inserted, Seq: 9, Position: -1, Detail: "d"}, "seq 9: inserted: d"},
	}
	for _, tt := range tests {
		if got := tt.p.Format("line"); got != tt.want {
			t.Errorf("Format(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
	r := audit.Report{Records: 3, First: 1, Last: 2, Duplicates: 1}
	if got, want := r.Summary(), "verified 3 records (seq 1..2), 1 duplicate dropped: OK"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}
