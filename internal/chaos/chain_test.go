package chaos

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/events"
)

// chain writes n records through audit.Log and reads them back.
func chain(t *testing.T, n int) []store.OutboxMessage {
	t.Helper()
	ctx := context.Background()
	st := storetest.SQLite(t)
	log := audit.Log{Topic: "iis-audit"}
	for range n {
		e, err := events.NewEventRejected("//test", events.Rejection{Reason: "malformed", MessageID: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error { return log.Append(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := audit.Sequence(ctx, st, 0); err != nil {
		t.Fatal(err)
	}
	recs, err := st.AuditTrail(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func clone(recs []store.OutboxMessage) []store.OutboxMessage {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Data = slices.Clone(out[i].Data)
		out[i].Attributes = maps.Clone(out[i].Attributes)
	}
	return out
}

func TestVerifyChain(t *testing.T) {
	recs := chain(t, 5)
	tests := []struct {
		name   string
		tamper func([]store.OutboxMessage) []store.OutboxMessage
		want   []int64 // seqs of the breaks
	}{
		{"intact", func(r []store.OutboxMessage) []store.OutboxMessage { return r }, nil},
		{"data changed", func(r []store.OutboxMessage) []store.OutboxMessage {
			r[1].Data[len(r[1].Data)-2] ^= 1
			return r // the record's hash and its successor's link break
		}, []int64{2, 3}},
		{"attribute changed, hash recomputed", func(r []store.OutboxMessage) []store.OutboxMessage {
			r[2].Attributes["ce-source"] = "//forged"
			r[2].Hash = audit.Hash(events.Message{Data: r[2].Data, Attributes: r[2].Attributes})
			return r // the successor still links to the original
		}, []int64{4}},
		{"record removed", func(r []store.OutboxMessage) []store.OutboxMessage {
			return slices.Delete(r, 2, 3)
		}, []int64{4, 4, 5}},
		{"records swapped", func(r []store.OutboxMessage) []store.OutboxMessage {
			r[1], r[2] = r[2], r[1]
			return r
		}, []int64{3, 3, 2, 2, 4}},
		{"record inserted", func(r []store.OutboxMessage) []store.OutboxMessage {
			return slices.Insert(r, 3, r[3])
		}, []int64{4, 4, 5}},
		{"first link forged", func(r []store.OutboxMessage) []store.OutboxMessage {
			r[0].Attributes["ce-"+events.ExtAuditPrev] = r[4].Hash
			r[0].Hash = audit.Hash(events.Message{Data: r[0].Data, Attributes: r[0].Attributes})
			return r
		}, []int64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, b := range VerifyChain(tt.tamper(clone(recs))) {
				got = append(got, b.Seq)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("VerifyChain() break seqs (-want +got):\n%s", diff)
			}
		})
	}
}
