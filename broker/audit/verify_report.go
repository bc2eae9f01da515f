package audit

import (
	"fmt"
	"strings"
)

// String renders p on one line, for people:
//
//	seq 42 (event 6f1c…, position 7): changed: its hash … no longer matches …
func (p Problem) String() string { return p.Format("position") }

// Format is String with positions named positionName ("line", "row").
func (p Problem) Format(positionName string) string {
	var where []string
	if p.EventID != "" {
		where = append(where, "event "+p.EventID)
	}
	if p.Position >= 0 && p.Kind != Removed {
		where = append(where, fmt.Sprintf("%s %d", positionName, p.Position))
	}
	var b strings.Builder
	if p.Seq > 0 || len(where) == 0 {
		fmt.Fprintf(&b, "seq %d", p.Seq)
		if len(where) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(where, ", "))
		}
	} else {
		b.WriteString(strings.Join(where, ", "))
	}
	fmt.Fprintf(&b, ": %s: %s", p.Kind, p.Detail)
	return b.String()
}

// Summary is the report's last line, for people:
//
//	verified 120 records (seq 1..120): OK
//	verified 120 records (seq 1..120), 3 duplicates: 2 problems
func (r Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verified %d %s", r.Records, plural(r.Records, "record"))
	if r.Last > 0 {
		fmt.Fprintf(&b, " (seq %d..%d)", r.First, r.Last)
	}
	if r.Duplicates > 0 {
		fmt.Fprintf(&b, ", %d %s dropped", r.Duplicates, plural(r.Duplicates, "duplicate"))
	}
	if r.Appended > 0 {
		fmt.Fprintf(&b, ", %d appended meanwhile not checked", r.Appended)
	}
	if r.OK() {
		b.WriteString(": OK")
		return b.String()
	}
	n := len(r.Problems) + r.Omitted
	fmt.Fprintf(&b, ": %d %s", n, plural(n, "problem"))
	if r.Omitted > 0 {
		fmt.Fprintf(&b, " (%d not listed)", r.Omitted)
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// at names an input position in a detail.
func (v *Verifier) at(pos int) string { return fmt.Sprintf("%s %d", v.opts.PositionName, pos) }

// isHead reports whether the record at seq with hash d is the store's head.
func (v *Verifier) isHead(seq int64, d digest) bool {
	return v.opts.Head != nil && v.opts.Head.Seq == seq && v.headOK && d == v.head
}

func (v *Verifier) problemf(k Kind, e entry, format string, args ...any) {
	v.problem(Problem{Kind: k, Seq: e.seq, EventID: e.id, Position: e.pos, Detail: fmt.Sprintf(format, args...)})
}
