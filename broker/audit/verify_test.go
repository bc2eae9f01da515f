package audit_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/events"
)

// TestVerify tampers with a real chain (Log.Append into SQLite) in every way
// the trail promises to detect, and checks what is reported and where.
// Records are at position i+1 in the input (a capture's line numbers).
func TestVerify(t *testing.T) {
	const n = 8
	_, trail := storeChain(t, n)
	id := func(seq int) string { return trail[seq-1].EventID }
	h := func(seq int) string { return trail[seq-1].Hash }
	head := &audit.Head{Seq: n, Hash: h(n)}

	// Tampering works on the records in seq order (index seq-1) and returns
	// the input as it is then read.
	type recs = []audit.Record
	set := func(seq int, key, value string) func(recs) recs {
		return func(r recs) recs { r[seq-1].Message.Attributes[key] = value; return r }
	}
	drop := func(seq int) func(recs) recs {
		return func(r recs) recs { return slices.Delete(r, seq-1, seq) }
	}
	swap := func(i, j int) func(recs) recs {
		return func(r recs) recs { r[i-1], r[j-1] = r[j-1], r[i-1]; return r }
	}
	add := func(m events.Message) func(recs) recs {
		return func(r recs) recs { return append(r, audit.Record{Message: m}) }
	}
	forgedAt := func(seq int) events.Message { return forged(t, "forged", seq, h(seq-1)) }

	tests := []struct {
		name   string
		tamper func(recs) recs
		opts   audit.VerifyOptions
		stored bool // records carry the store's hash
		want   []finding
		dups   int
	}{
		{name: "intact", opts: audit.VerifyOptions{From: 1, Head: head}},
		{name: "intact without options"},
		{
			name: "one byte of data changed",
			tamper: func(r recs) recs {
				d := r[3].Message.Data
				d[strings.Index(string(d), "record")] = 'R'
				return r
			},
			want: []finding{{audit.Changed, 4, id(4), 4}},
		},
		{name: "attribute changed", tamper: set(6, "ce-source", "//test/other"), want: []finding{{audit.Changed, 6, id(6), 6}}},
		{name: "attribute added", tamper: set(2, "ce-subject", "x"), want: []finding{{audit.Changed, 2, id(2), 2}}},
		{name: "auditprev changed", tamper: set(5, attrPrev, h(7)), want: []finding{{audit.Changed, 5, id(5), 5}}},
		{
			name:   "auditprev changed to skip a record",
			tamper: set(5, attrPrev, h(3)),
			want:   []finding{{audit.Inserted, 4, id(4), 4}, {audit.Changed, 5, id(5), 5}},
		},
		{name: "first record's auditprev changed", tamper: set(1, attrPrev, h(2)), want: []finding{{audit.Changed, 1, id(1), 1}}},
		{
			name: "changed, stored hash kept", stored: true,
			tamper: func(r recs) recs { r[3].Message.Data[10] ^= 1; return r },
			want:   []finding{{audit.Changed, 4, id(4), 4}},
		},
		{name: "removed in the middle", tamper: drop(5), want: []finding{{audit.Removed, 5, "", 5}}},
		{
			name:   "two removed in the middle",
			tamper: func(r recs) recs { return slices.Delete(r, 3, 5) },
			want:   []finding{{audit.Removed, 4, "", 4}},
		},
		{name: "first removed, from 1", tamper: drop(1), opts: audit.VerifyOptions{From: 1}, want: []finding{{audit.Removed, 1, "", 1}}},
		{name: "first removed, capture started later", tamper: drop(1)},
		{name: "last removed, with head", tamper: drop(n), opts: audit.VerifyOptions{Head: head}, want: []finding{{audit.Removed, n, "", -1}}},
		{name: "last removed, no head: not detectable", tamper: drop(n)},
		{name: "last changed, with head", tamper: set(n, "ce-source", "//x"), opts: audit.VerifyOptions{Head: head}, want: []finding{{audit.Changed, n, id(n), n}}},
		{name: "last changed, no head: not detectable", tamper: set(n, "ce-source", "//x")},
		{name: "forged at a taken seq", tamper: add(forgedAt(4)), want: []finding{{audit.Inserted, 4, "forged", n + 1}}},
		{
			name:   "forged in place of a record",
			tamper: func(r recs) recs { r[3].Message = forgedAt(4); return r },
			want:   []finding{{audit.Changed, 4, "forged", 4}},
		},
		{name: "forged beyond the head", tamper: add(forgedAt(n + 1)), opts: audit.VerifyOptions{Head: head}, want: []finding{{audit.Inserted, n + 1, "forged", n + 1}}},
		{name: "forged beyond the head, no head: not detectable", tamper: add(forgedAt(n + 1))},
		{
			name: "forged and the rest renumbered",
			tamper: func(r recs) recs {
				for i := 3; i < n; i++ {
					r[i].Message.Attributes[attrSeq] = strconv.Itoa(i + 2)
				}
				return slices.Insert(r, 3, audit.Record{Message: forgedAt(4)})
			},
			want: []finding{
				{audit.Inserted, 4, "forged", 4}, {audit.Changed, 5, id(4), 5}, {audit.Changed, 6, id(5), 6},
				{audit.Changed, 7, id(6), 7}, {audit.Changed, 8, id(7), 8},
			},
		},
		{name: "lines swapped in a capture", tamper: swap(2, 6)},
		{name: "adjacent records swapped in the store", tamper: swap(4, 5), opts: audit.VerifyOptions{Ordered: true}, want: []finding{{audit.Reordered, 4, id(4), 5}, {audit.Reordered, 5, id(5), 4}}},
		{name: "records swapped in the store", tamper: swap(2, 6), opts: audit.VerifyOptions{Ordered: true}, want: []finding{{audit.Reordered, 2, id(2), 6}, {audit.Reordered, 6, id(6), 2}}},
		{
			name:   "record moved in the store",
			tamper: func(r recs) recs { m := r[1]; return append(slices.Delete(r, 1, 2), m) },
			opts:   audit.VerifyOptions{Ordered: true},
			want:   []finding{{audit.Reordered, 2, id(2), n}},
		},
		{
			name: "records swapped in the chain (auditseq exchanged)",
			tamper: func(r recs) recs {
				r[3].Message.Attributes[attrSeq], r[4].Message.Attributes[attrSeq] = "5", "4"
				return r
			},
			want: []finding{{audit.Inserted, 4, id(5), 5}, {audit.Changed, 5, id(4), 4}},
		},
		{
			name: "records swapped in the chain and re-linked",
			tamper: func(r recs) recs {
				a, b := r[3].Message, r[4].Message
				b.Attributes[attrSeq], b.Attributes[attrPrev] = "4", h(3)
				a.Attributes[attrSeq], a.Attributes[attrPrev] = "5", audit.Hash(b)
				return r
			},
			want: []finding{{audit.Changed, 5, id(4), 4}},
		},
		{name: "duplicate", tamper: func(r recs) recs { return append(r, r[2]) }, opts: audit.VerifyOptions{From: 1, Head: head}, dups: 1},
		{
			name: "every record twice, shuffled",
			tamper: func(r recs) recs {
				r = append(r, r...)
				rand.New(rand.NewPCG(1, 2)).Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] })
				return r
			},
			opts: audit.VerifyOptions{From: 1, Head: head},
			dups: n,
		},
		{
			name: "altered copy of a record",
			tamper: func(r recs) recs {
				m := clone(r[2].Message)
				m.Data[5] ^= 1
				return append(r, audit.Record{Message: m})
			},
			want: []finding{{audit.Changed, 3, id(3), n + 1}},
		},
		{name: "no auditseq", tamper: func(r recs) recs { delete(r[2].Message.Attributes, attrSeq); return r }, want: []finding{{audit.Malformed, 0, id(3), 3}, {audit.Removed, 3, "", 4}}},
		{name: "auditseq not canonical", tamper: set(3, attrSeq, "03"), want: []finding{{audit.Malformed, 0, id(3), 3}, {audit.Removed, 3, "", 4}}},
		{name: "auditprev not a hash", tamper: set(3, attrPrev, "0xdead"), want: []finding{{audit.Malformed, 3, id(3), 3}}},
		{name: "not a CloudEvent", tamper: set(3, "ce-specversion", "0.3"), want: []finding{{audit.Malformed, 3, id(3), 3}}},
		{
			name:   "unreadable input",
			tamper: func(r recs) recs { return append(r, audit.Record{Err: errors.New("bad line")}) },
			want:   []finding{{audit.Malformed, 0, "", n + 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := make([]audit.Record, n)
			for i, m := range trail {
				in[i].Message = clone(events.Message{Data: m.Data, Attributes: m.Attributes})
				if tt.stored {
					in[i].StoredHash = m.Hash
				}
			}
			if tt.tamper != nil {
				in = tt.tamper(in)
			}
			for i := range in {
				in[i].Position = i + 1
			}
			got := audit.Verify(in, tt.opts)
			t.Log("\n" + dump(got))
			if diff := cmp.Diff(tt.want, findings(got)); diff != "" {
				t.Errorf("Verify() problems (-want +got):\n%s\n%s", diff, dump(got))
			}
			if hasNote := strings.Contains(strings.Join(got.Notes, "\n"), "covered only by its own auditprev"); hasNote != (tt.opts.Head == nil) {
				t.Errorf("Verify() notes = %q; want the unverified-tail note: %v", got.Notes, tt.opts.Head == nil)
			}
			if got.OK() != (len(tt.want) == 0) || got.Duplicates != tt.dups || got.Records != len(in) {
				t.Errorf("Verify() = OK %v, %d duplicates, %d records; want %v, %d, %d", got.OK(), got.Duplicates, got.Records, len(tt.want) == 0, tt.dups, len(in))
			}
		})
	}
}

func dump(r audit.Report) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString(p.String() + "\n")
	}
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
	return b.String() + r.Summary()
}
