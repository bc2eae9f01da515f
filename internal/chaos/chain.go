package chaos

import (
	"fmt"
	"strconv"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Break is a place where the audit chain does not verify.
type Break struct {
	Seq     int64  // the record's seq in the store (0 if the store gave none)
	EventID string // the record's event id
	Problem string
}

func (b Break) String() string {
	return fmt.Sprintf("seq %d (event %s): %s", b.Seq, b.EventID, b.Problem)
}

// VerifyChain checks the audit chain as AuditTrail returns it (every chained
// record, in seq order): seqs run 1, 2, 3... without gap, each record's
// auditseq attribute is its seq, its auditprev is the recomputed hash of its
// predecessor (audit.Genesis for the first), and its stored hash is the
// hash of its content. It returns every break, in seq order.
func VerifyChain(recs []store.OutboxMessage) []Break {
	var out []Break
	prev := audit.Genesis
	for i, r := range recs {
		add := func(format string, args ...any) {
			out = append(out, Break{Seq: r.Seq, EventID: r.EventID, Problem: fmt.Sprintf(format, args...)})
		}
		want := int64(i + 1)
		if r.Seq != want {
			add("at position %d, want seq %d (a record is missing, inserted or out of order)", i, want)
		}
		if got := r.Attributes["ce-"+events.ExtAuditSeq]; got != strconv.FormatInt(r.Seq, 10) {
			add("auditseq attribute %q, want %d", got, r.Seq)
		}
		if got := r.Attributes["ce-"+events.ExtAuditPrev]; got != prev {
			add("auditprev %.12s..., want the predecessor's hash %.12s...", got, prev)
		}
		h := audit.Hash(events.Message{Data: r.Data, Attributes: r.Attributes})
		if h != r.Hash {
			add("content hashes to %.12s..., the store holds %.12s... (the record was changed)", h, r.Hash)
		}
		prev = h
	}
	return out
}
