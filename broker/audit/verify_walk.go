package audit

import (
	"fmt"
	"slices"
)

// link is the state of the link between a record and its predecessor in
// seq order.
type link uint8

const (
	unknown link = iota // no predecessor to compare with
	linked              // auditprev is the predecessor's hash
	broken              // auditprev is something else
)

// elem is a record the walker chose for its seq.
type elem struct {
	entry
	in        link // to the record at seq-1 (Genesis for seq 1)
	reordered bool // already reported as reordered
}

// walker consumes the pending records seq by seq, chooses one record per
// seq, links it to its predecessor and judges each record once the two
// records after it are known: a broken link is blamed on the record that
// explains it best (see judge).
type walker struct {
	v       *Verifier
	started bool
	first   int64 // seq of the first record chosen
	last    int64 // seq of the last group pushed
	q       []elem
	done    int // q[:done] are judged; q keeps one of them as context
}

// push takes the records at seq s (in input order) and a look at those at
// s+1, which tells which record at s the chain vouches for.
func (w *walker) push(s int64, group, next []entry) {
	group = w.dedupe(group)
	w.gap(s, group[0])
	predHash, havePred := genesis, s == 1
	if n := len(w.q); n > 0 && w.q[n-1].seq == s-1 {
		predHash, havePred = w.q[n-1].hash, true
	}
	x := elem{entry: w.choose(s, group, next, predHash, havePred)}
	w.v.anchors.check(x.entry)
	if havePred {
		x.in = broken
		if x.prev == predHash {
			x.in = linked
		}
	}
	if !w.started {
		w.started, w.first = true, s
	}
	w.last = s
	w.q = append(w.q, x)
	w.judgeReady(false)
}

// dedupe drops exact copies (same event id and hash) of earlier records.
func (w *walker) dedupe(g []entry) []entry {
	out := g[:0]
	for _, e := range g {
		if slices.ContainsFunc(out, func(o entry) bool { return o.id == e.id && o.hash == e.hash }) {
			w.v.rep.Duplicates++
			continue
		}
		out = append(out, e)
	}
	return out
}

// gap reports the seqs missing before s.
func (w *walker) gap(s int64, after entry) {
	from := w.last + 1
	if !w.started {
		if w.v.opts.From <= 0 || s <= w.v.opts.From {
			return
		}
		from = w.v.opts.From
	}
	if from < s {
		w.removed(from, s-1, &after)
	}
}

// removed reports seqs from..to as missing, except those that malformed
// records claim (reported already). after is the record after the gap.
func (w *walker) removed(from, to int64, after *entry) {
	var claimed []int64
	for s := range w.v.claimed {
		if s >= from && s <= to {
			claimed = append(claimed, s)
		}
	}
	slices.Sort(claimed)
	for _, c := range append(claimed, to+1) {
		if from < c {
			w.reportGap(from, c-1, after)
		}
		from = c + 1
	}
}

func (w *walker) reportGap(from, to int64, after *entry) {
	what := fmt.Sprintf("seq %d is missing", from)
	if to > from {
		what = fmt.Sprintf("seqs %d..%d (%d records) are missing", from, to, to-from+1)
	}
	p := Problem{Kind: Removed, Seq: from, Position: -1}
	switch {
	case after == nil:
		p.Detail = fmt.Sprintf("%s at the end: the store's chain head is seq %d", what, to)
	case w.started:
		p.Position = after.pos
		p.Detail = fmt.Sprintf("%s between seq %d and seq %d (%s)", what, from-1, to+1, w.v.at(after.pos))
	default:
		p.Position = after.pos
		p.Detail = fmt.Sprintf("%s at the start, before seq %d (%s)", what, to+1, w.v.at(after.pos))
	}
	w.v.problem(p)
}

// choose picks, among different records claiming seq s, the one the chain
// vouches for: linked from the successor (or the head), then linked to the
// predecessor, then matching its stored hash, then the first in the input.
// The others are reported.
func (w *walker) choose(s int64, g, next []entry, predHash digest, havePred bool) entry {
	if len(g) == 1 {
		return g[0]
	}
	score := func(c entry) int {
		n := 0
		if slices.ContainsFunc(next, func(e entry) bool { return e.prev == c.hash }) || w.v.isHead(s, c.hash) {
			n += 4
		}
		if havePred && c.prev == predHash {
			n += 2
		}
		if c.stored != "" && !c.storedBad {
			n++
		}
		return n
	}
	best, top, tie := 0, score(g[0]), false
	for i := 1; i < len(g); i++ {
		switch sc := score(g[i]); {
		case sc > top:
			best, top, tie = i, sc, false
		case sc == top:
			tie = true
		}
	}
	b := g[best]
	for i, o := range g {
		if i == best {
			continue
		}
		switch {
		case o.id == b.id && tie:
			w.v.problemf(Changed, o, "differs from another copy of this event at seq %d (%s), and the chain tells neither apart", s, w.v.at(b.pos))
		case o.id == b.id:
			w.v.problemf(Changed, o, "differs from the copy of this event that the chain vouches for (%s)", w.v.at(b.pos))
		case tie:
			w.v.problemf(Inserted, o, "claims seq %d, as does event %s (%s), and the chain tells neither apart", s, b.id, w.v.at(b.pos))
		default:
			w.v.problemf(Inserted, o, "claims seq %d, which the chain gives to event %s (%s)", s, b.id, w.v.at(b.pos))
		}
	}
	return b
}

// judgeReady judges every record whose two successors are known, or all of
// them when final; it keeps the last judged record as context.
func (w *walker) judgeReady(final bool) {
	for w.done < len(w.q) && (final || w.done+2 < len(w.q)) {
		w.judge(w.done, final)
		w.done++
	}
	if drop := w.done - 1; drop > 0 {
		n := copy(w.q, w.q[drop:])
		w.q = w.q[:n]
		w.done -= drop
	}
}

// judge blames broken links on records, by the fewest records that explain
// them. A record whose content changed breaks the link to its successor
// only; one whose auditprev changed (or that replaced another) breaks both
// its links. So: both links broken blames the record itself (inserted if
// its neighbours chain to each other); only the outgoing link broken, and
// not the successor's outgoing one, blames the record too.
func (w *walker) judge(i int, final bool) {
	x := &w.q[i]
	var prev, n1, n2 *elem
	if i > 0 {
		prev = &w.q[i-1]
	}
	if i+1 < len(w.q) {
		n1 = &w.q[i+1]
	}
	if i+2 < len(w.q) {
		n2 = &w.q[i+2]
	}
	out := w.linkOut(x, n1, final)
	out2 := unknown
	if n1 != nil && n1.seq == x.seq+1 {
		out2 = w.linkOut(n1, n2, final)
	}
	ph, havePred := predHash(x, prev)
	switch {
	case x.storedBad:
		w.v.problemf(Changed, x.entry, "hashes to %s, but the store holds %s for it", x.hash.short(), shortHex(x.stored))
	case out == broken && havePred && n1 != nil && n1.seq == x.seq+1 && n1.prev == ph:
		w.v.problemf(Inserted, x.entry, "seq %d and seq %d (%s) chain to each other around it: it was inserted (or the auditprev of seq %[2]d was changed)", x.seq-1, n1.seq, w.v.at(n1.pos))
	case x.in == broken && out == broken:
		w.v.problemf(Changed, x.entry, "neither its auditprev matches %s nor its hash %s", predName(x.seq), w.successor(x, n1))
	case out == broken && out2 != broken:
		w.v.problemf(Changed, x.entry, "its hash %s no longer matches %s", x.hash.short(), w.successor(x, n1))
	case x.in == broken && x.seq == 1:
		w.v.problemf(Changed, x.entry, "its auditprev is not the genesis hash")
	}
	if w.v.opts.Ordered && n1 != nil && n1.arrival < x.arrival {
		w.reorder(x, n1, prev, n2)
	}
}

// linkOut is the link from x to its successor n: n's own link, or the
// store's head when x is the last record.
func (w *walker) linkOut(x, n *elem, final bool) link {
	h := w.v.opts.Head
	switch {
	case n != nil && n.seq == x.seq+1:
		return n.in
	case n == nil && final && h != nil && h.Seq == x.seq:
		if w.v.isHead(x.seq, x.hash) {
			return linked
		}
		return broken
	}
	return unknown
}

// predHash is the hash x's auditprev should hold, if known.
func predHash(x, prev *elem) (digest, bool) {
	switch {
	case prev != nil && prev.seq == x.seq-1:
		return prev.hash, true
	case x.seq == 1:
		return genesis, true
	}
	return digest{}, false
}

func predName(seq int64) string {
	if seq == 1 {
		return "the genesis hash"
	}
	return fmt.Sprintf("the hash of seq %d", seq-1)
}

func (w *walker) successor(x, n *elem) string {
	if n != nil && n.seq == x.seq+1 {
		return fmt.Sprintf("the auditprev of seq %d (%s)", n.seq, w.v.at(n.pos))
	}
	return "the chain head the store reports"
}

// finish judges the last records and reports a missing head or tail.
func (w *walker) finish() {
	w.judgeReady(true)
	v, h := w.v, w.v.opts.Head
	switch {
	case w.started && h != nil && h.Seq > w.last:
		w.removed(w.last+1, h.Seq, nil)
	case !w.started && h != nil && v.opts.From > 0 && h.Seq >= v.opts.From:
		w.removed(v.opts.From, h.Seq, nil)
	}
	v.rep.HeadChecked = h != nil
	last := int64(0)
	if w.started {
		last = w.last
	}
	v.anchors.finish(last)
	if !w.started {
		return
	}
	v.rep.First, v.rep.Last = w.first, w.last
	if h == nil {
		v.rep.Notes = append(v.rep.Notes, fmt.Sprintf("the last record (seq %d) is covered only by its own auditprev: without the store's chain head, a change to it or records missing after it would not show", w.last))
	}
	if v.opts.From <= 0 && w.first > 1 {
		v.rep.Notes = append(v.rep.Notes, fmt.Sprintf("the input starts at seq %d: records before it are not checked", w.first))
	}
}
