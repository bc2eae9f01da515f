package audit_test

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"testing"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/events"
)

const (
	attrSeq  = "ce-" + events.ExtAuditSeq
	attrPrev = "ce-" + events.ExtAuditPrev
)

// auditEvent is the i-th event of a test chain. Its detail holds characters
// that JSON encoders like to escape, so that captures are tested with them.
func auditEvent(t testing.TB, i int, opts ...events.Option) events.Message {
	t.Helper()
	e, err := events.NewEventRejected("//test/verify", events.Rejection{
		Reason: "schema_violation", Detail: fmt.Sprintf("record %d: <at /job> & \"é\"", i), MessageID: strconv.Itoa(i),
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// storeChain appends n events with Log.Append into a new SQLite store and
// returns the store and its trail.
func storeChain(t *testing.T, n int) (store.Store, []store.OutboxMessage) {
	t.Helper()
	ctx := context.Background()
	st := storetest.SQLite(t)
	log := audit.Log{Topic: "iis-audit"}
	for i := range n {
		e, err := events.NewEventRejected("//test/verify", events.Rejection{
			Reason: "schema_violation", Detail: fmt.Sprintf("record %d: <at /job> & \"é\"", i+1), MessageID: strconv.Itoa(i + 1),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error { return log.Append(ctx, tx, e) }); err != nil {
			t.Fatalf("Append(%d) = %v", i+1, err)
		}
	}
	if _, err := audit.Sequence(ctx, st, 0); err != nil {
		t.Fatal(err)
	}
	trail, err := st.AuditTrail(ctx, 0, 0)
	if err != nil || len(trail) != n {
		t.Fatalf("AuditTrail() = %d records, %v; want %d", len(trail), err, n)
	}
	return st, trail
}

// memChain builds a chain of n records the way Log.Append does, without a
// store (for fuzzing and benchmarks).
func memChain(t testing.TB, n int) []events.Message {
	t.Helper()
	out := make([]events.Message, n)
	prev := audit.Genesis
	for i := range out {
		m := auditEvent(t, i+1)
		m.Attributes[attrSeq] = strconv.Itoa(i + 1)
		m.Attributes[attrPrev] = prev
		prev = audit.Hash(m)
		out[i] = m
	}
	return out
}

// forged is a new record at seq, linked to prev and hashed like any other:
// valid on its own.
func forged(t testing.TB, id string, seq int, prev string) events.Message {
	t.Helper()
	m := auditEvent(t, 100+seq, events.WithID(id))
	m.Attributes[attrSeq] = strconv.Itoa(seq)
	m.Attributes[attrPrev] = prev
	return m
}

func clone(m events.Message) events.Message {
	return events.Message{Data: append([]byte(nil), m.Data...), Attributes: maps.Clone(m.Attributes)}
}

// finding is a Problem without its Detail, for comparisons.
type finding struct {
	Kind     audit.Kind
	Seq      int64
	EventID  string
	Position int
}

func findings(r audit.Report) []finding {
	var out []finding
	for _, p := range r.Problems {
		out = append(out, finding{p.Kind, p.Seq, p.EventID, p.Position})
	}
	return out
}
