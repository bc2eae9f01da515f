package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/events"
)

func rejected(t *testing.T, reason string) events.Message {
	t.Helper()
	e, err := events.NewEventRejected("//test", events.Rejection{Reason: reason, MessageID: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAppendBuildsChain(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	log := audit.Log{Topic: "iis-audit"}
	for _, reason := range []string{"malformed", "schema_violation", "unknown_type"} {
		e, err := events.NewEventRejected("//test", events.Rejection{Reason: reason})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error { return log.Append(ctx, tx, e) }); err != nil {
			t.Fatalf("Append(%s) = %v", reason, err)
		}
	}
	// Appended, not chained yet: no position, nothing for the relay.
	if trail, err := st.AuditTrail(ctx, 0, 0); err != nil || len(trail) != 0 {
		t.Fatalf("AuditTrail() before sequencing = %d records, %v; want none", len(trail), err)
	}
	if ms, err := st.ClaimOutbox(ctx, "relay", 10, time.Minute); err != nil || len(ms) != 0 {
		t.Fatalf("ClaimOutbox() before sequencing = %d records, %v; want none: an unchained record must not be published", len(ms), err)
	}
	if n, oldest, err := st.UnchainedAudit(ctx); err != nil || n != 3 || oldest.IsZero() {
		t.Fatalf("UnchainedAudit() = %d, %v, %v; want 3 with a time", n, oldest, err)
	}
	if n, err := audit.Sequence(ctx, st, 2); err != nil || n != 3 {
		t.Fatalf("Sequence() = %d, %v; want 3", n, err)
	}
	if n, _, err := st.UnchainedAudit(ctx); err != nil || n != 0 {
		t.Fatalf("UnchainedAudit() after sequencing = %d, %v; want 0", n, err)
	}
	trail, err := st.AuditTrail(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 3 {
		t.Fatalf("AuditTrail() has %d records, want 3", len(trail))
	}
	prev := audit.Genesis
	for i, r := range trail {
		m := events.Message{Data: r.Data, Attributes: r.Attributes}
		if got, want := r.Attributes["ce-"+events.ExtAuditSeq], []string{"1", "2", "3"}[i]; got != want {
			t.Errorf("record %d auditseq = %q, want %q", i, got, want)
		}
		if got := r.Attributes["ce-"+events.ExtAuditPrev]; got != prev {
			t.Errorf("record %d auditprev = %q, want %q", i, got, prev)
		}
		if got := audit.Hash(m); got != r.Hash {
			t.Errorf("record %d stored hash %q, recomputed %q", i, r.Hash, got)
		}
		if _, err := events.Decode(m); err != nil {
			t.Errorf("record %d does not decode: %v", i, err)
		}
		prev = r.Hash
	}
	if ms, err := st.ClaimOutbox(ctx, "relay", 10, time.Minute); err != nil || len(ms) != 3 {
		t.Errorf("ClaimOutbox() after sequencing = %d records, %v; want 3", len(ms), err)
	}
}

func TestAppendRefusesChainAttributes(t *testing.T) {
	st := storetest.SQLite(t)
	for _, ext := range []string{events.ExtAuditSeq, events.ExtAuditPrev} {
		e, err := events.NewEventRejected("//test", events.Rejection{Reason: "malformed"})
		if err != nil {
			t.Fatal(err)
		}
		e.SetExtension(ext, "1")
		err = st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			return audit.Log{Topic: "iis-audit"}.Append(ctx, tx, e)
		})
		if err == nil {
			t.Errorf("Append(event with %s) = nil, want an error: only the sequencer positions a record", ext)
		}
	}
}

func TestHashDetectsChanges(t *testing.T) {
	m := rejected(t, "malformed")
	base := audit.Hash(m)
	changed := func(f func(*events.Message)) string {
		c := events.Message{Data: append([]byte(nil), m.Data...), Attributes: map[string]string{}}
		for k, v := range m.Attributes {
			c.Attributes[k] = v
		}
		f(&c)
		return audit.Hash(c)
	}
	tests := map[string]func(*events.Message){
		"data":            func(c *events.Message) { c.Data[len(c.Data)-2] ^= 1 },
		"attribute value": func(c *events.Message) { c.Attributes["ce-source"] = "//other" },
		"attribute added": func(c *events.Message) { c.Attributes["ce-subject"] = "x" },
		"attribute gone":  func(c *events.Message) { delete(c.Attributes, "ce-source") },
		"key/value shift": func(c *events.Message) {
			c.Attributes["ce-sourc"] = "e" + c.Attributes["ce-source"]
			delete(c.Attributes, "ce-source")
		},
	}
	for name, f := range tests {
		if got := changed(f); got == base {
			t.Errorf("Hash unchanged after changing %s", name)
		}
	}
	if changed(func(*events.Message) {}) != base {
		t.Error("Hash of an identical copy differs")
	}
}
