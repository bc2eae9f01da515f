package audit

import (
	"fmt"
	"slices"
)

// Anchor is a chain head vouched for outside the chain: the head a signed
// checkpoint states, once package checkpoint has verified its signature.
// The Verifier trusts it.
type Anchor struct {
	Seq  int64
	Hash string
	// Name says which checkpoint, for reports: where it is archived and
	// when it was signed.
	Name string
	// Remembered says the store lists this checkpoint (VerifyStore sets
	// it): a store that ends before Seq but remembers the checkpoint lost
	// its newest records; one that does not was rolled back to before it.
	Remembered bool
}

// anchorSet checks the chosen record of each seq against the anchors.
type anchorSet struct {
	v      *Verifier
	bySeq  map[int64]Anchor
	digest map[int64]digest
	top    *Anchor // the highest anchor

	lastMatch     *Anchor  // the highest anchor the chain matched so far
	firstMismatch *Problem // the lowest anchor the chain contradicts
	mismatches    int
}

func newAnchorSet(v *Verifier, as []Anchor) *anchorSet {
	s := &anchorSet{v: v, bySeq: map[int64]Anchor{}, digest: map[int64]digest{}}
	sorted := slices.Clone(as)
	slices.SortFunc(sorted, func(a, b Anchor) int { return int(a.Seq - b.Seq) })
	for _, a := range sorted {
		var d digest
		if a.Seq <= 0 || decodeDigest(&d, a.Hash) != nil {
			v.problem(Problem{Kind: Malformed, Seq: max(a.Seq, 0), Position: -1,
				Detail: fmt.Sprintf("checkpoint %s: seq %d, hash %q: not a chain head", a.Name, a.Seq, a.Hash)})
			continue
		}
		if prev, ok := s.bySeq[a.Seq]; ok {
			if s.digest[a.Seq] != d {
				v.problem(Problem{Kind: Rewritten, Seq: a.Seq, Position: -1,
					Detail: fmt.Sprintf("two signed checkpoints disagree on the hash of seq %d: %s and %s: the chain forked", a.Seq, prev.Name, a.Name)})
			}
			continue
		}
		s.bySeq[a.Seq], s.digest[a.Seq] = a, d
		top := a
		s.top = &top
	}
	v.rep.Anchors = len(s.bySeq)
	return s
}

// check compares the record the chain chose for its seq with the anchor
// of that seq, if any.
func (s *anchorSet) check(e entry) {
	a, ok := s.bySeq[e.seq]
	if !ok {
		return
	}
	if e.hash == s.digest[e.seq] {
		s.lastMatch = &a
		return
	}
	s.mismatches++
	if s.firstMismatch == nil {
		p := Problem{Kind: Rewritten, Seq: e.seq, EventID: e.id, Position: e.pos,
			Detail: fmt.Sprintf("hashes to %s, but the signed checkpoint %s holds %s for seq %d: the chain was rewritten at or before this record",
				e.hash.short(), a.Name, shortHex(a.Hash), e.seq)}
		if s.lastMatch != nil {
			p.Detail += fmt.Sprintf(" and after seq %d, which checkpoint %s still vouches for", s.lastMatch.Seq, s.lastMatch.Name)
		}
		s.firstMismatch = &p
	}
}

// finish reports the rewrite, and, on the store (Head set), a chain that
// ends before the highest anchor. last is the last seq of the chain read.
func (s *anchorSet) finish(last int64) {
	v := s.v
	if p := s.firstMismatch; p != nil {
		if s.mismatches > 1 {
			p.Detail += fmt.Sprintf(" (%d later checkpoints disagree with the chain too)", s.mismatches-1)
		}
		v.problem(*p)
	}
	if s.top == nil {
		return
	}
	h := v.opts.Head
	if h == nil {
		if s.top.Seq > last {
			v.rep.Notes = append(v.rep.Notes, fmt.Sprintf("checkpoint %s vouches for seq %d, after the input's last record", s.top.Name, s.top.Seq))
		}
		return
	}
	end := max(h.Seq, last)
	if s.top.Seq <= end {
		return
	}
	if s.top.Remembered {
		v.problem(Problem{Kind: Removed, Seq: end + 1, Position: -1, Detail: fmt.Sprintf(
			"seqs %d..%d are missing at the end: the store's chain ends at seq %d, but the signed checkpoint %s vouches for seq %d, and the store lists that checkpoint: its newest records were deleted (a truncated tail)",
			end+1, s.top.Seq, end, s.top.Name, s.top.Seq)})
		return
	}
	v.problem(Problem{Kind: RolledBack, Seq: end + 1, Position: -1, Detail: fmt.Sprintf(
		"the store's chain ends at seq %d, but the signed checkpoint %s vouches for seq %d, which the store does not know: the database was rolled back (restored from a backup), or its newest records were deleted with their checkpoint",
		end, s.top.Name, s.top.Seq)})
}
