package audit

import "math"

// reorder reports the records of an inverted pair (x before n in seq
// order, after it in the input) that are out of place: the one that would
// fit between the records around the pair if the other were taken out is in
// place; if both would, they were swapped.
func (w *walker) reorder(x, n, prev, next *elem) {
	lo, hi := -1, math.MaxInt
	if prev != nil {
		lo = prev.arrival
	}
	if next != nil {
		hi = next.arrival
	}
	xFits := lo < x.arrival && x.arrival < hi
	nFits := lo < n.arrival && n.arrival < hi
	if !xFits || nFits {
		w.misplaced(x, "after seq %d (%s)", n.seq, w.v.at(n.pos))
	}
	if !nFits || xFits {
		w.misplaced(n, "before seq %d (%s)", x.seq, w.v.at(x.pos))
	}
}

func (w *walker) misplaced(e *elem, format string, args ...any) {
	if e.reordered {
		return
	}
	e.reordered = true
	w.v.problemf(Reordered, e.entry, "out of seq order: it comes "+format, args...)
}

// late handles a record whose seq the walker has passed.
func (w *walker) late(e entry) {
	for _, o := range w.q {
		switch {
		case o.seq != e.seq:
			continue
		case o.id == e.id && o.hash == e.hash:
			w.v.rep.Duplicates++
		case o.id == e.id:
			w.v.problemf(Changed, e, "differs from the copy of this event already verified (%s)", w.v.at(o.pos))
		default:
			w.v.problemf(Inserted, e, "claims seq %d, which event %s (%s) holds", e.seq, o.id, w.v.at(o.pos))
		}
		return
	}
	w.v.problemf(Reordered, e, "came after seq %d had been verified (more than %d records out of order), so it was not checked against the chain", w.last, w.v.opts.Window)
}
