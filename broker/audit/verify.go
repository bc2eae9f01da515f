package audit

import (
	"cmp"
	"container/heap"
	"slices"

	"github.com/dataproc-iis/iis/events"
)

// Kind names what is wrong with a part of the trail.
type Kind string

// The kinds of problem Verify reports.
const (
	// Changed: a record's content no longer hashes to what the chain (its
	// successor's auditprev, the store's head or the store's hash column)
	// holds for it, or a second copy of a record differs from the first.
	Changed Kind = "changed"
	// Removed: records are missing: a gap in auditseq, a missing head of
	// the chain (VerifyOptions.From) or a missing tail (VerifyOptions.Head).
	Removed Kind = "removed"
	// Inserted: a record that does not belong to the chain: a second record
	// at a seq the chain vouches for another one, a record whose auditprev
	// matches nothing while its neighbours chain to each other, or a record
	// beyond the store's head.
	Inserted Kind = "inserted"
	// Reordered: the input holds the records in another order than their
	// auditseq (checked only when VerifyOptions.Ordered is set).
	Reordered Kind = "reordered"
	// Malformed: a record that cannot take part in the chain: unreadable,
	// not a binary-mode CloudEvent, or without a valid auditseq or auditprev.
	Malformed Kind = "malformed"
	// Rewritten: a record's hash differs from the one a signed checkpoint
	// holds for its seq: the chain was rewritten consistently (records and
	// hashes and head) at or before that seq.
	Rewritten Kind = "rewritten"
	// RolledBack: the store ends before a checkpoint it does not remember
	// (restored from a backup, or its newest records deleted with their
	// checkpoint), or the archive holds checkpoints of another chain.
	RolledBack Kind = "rolled_back"
	// BadCheckpoint: an archived checkpoint that cannot be trusted: it does
	// not parse, its signature does not verify, or its key is not the
	// checkpoint key.
	BadCheckpoint Kind = "bad_checkpoint"
)

// Record is one audit record as read back from the store or from a capture
// of the audit topic.
type Record struct {
	// Position says where the record is in the input, for reports: the line
	// of a capture file, the seq column of the store's outbox row.
	Position int
	// Message is the record as published: attributes and data.
	Message events.Message
	// StoredHash is the hash the store keeps beside the record; empty for
	// a capture.
	StoredHash string
	// Err, if set, says why the input could not be read as a message (a
	// capture line that is not JSON); the record is reported as malformed.
	Err error
}

// Head is the chain head as the store reports it: the last seq and its hash.
type Head struct {
	Seq  int64
	Hash string
}

// VerifyOptions says what Verify may assume about its input.
type VerifyOptions struct {
	// From is the seq the input should start at: 1 when it must hold the
	// whole chain from its genesis, 0 when it may start anywhere (a capture
	// started after the broker). The record at seq 1, when present, is
	// always checked against Genesis.
	From int64
	// Head is the chain head the store reports, or nil when unknown. With
	// it, the last record is checked too, a missing tail is reported, and
	// records beyond it are inserted. Without it, the last record is only
	// covered by its own auditprev: a change to it does not show.
	Head *Head
	// Ordered says the input order is meaningful (the store's seq order),
	// so that records out of auditseq order are reported as reordered. A
	// capture of the topic is not ordered: Pub/Sub delivers in any order.
	Ordered bool
	// Window bounds, for Ordered input, how many records are held waiting
	// for their neighbours (default 4096); a record displaced by more
	// than that is still reported, but not checked against the chain.
	// Unordered input is held whole until Finish.
	Window int
	// MaxProblems caps the problems kept in the Report (0: no cap); the
	// rest are counted in Report.Omitted.
	MaxProblems int
	// PositionName is how reports name a Position: "line" for a capture,
	// "row" for the store; default "position".
	PositionName string
	// Anchors are chain heads vouched for outside the chain (signed
	// checkpoints, verified by package checkpoint): the record at each
	// anchor's seq must hash to the anchor's hash, and with Head set the
	// store must reach the highest anchor.
	Anchors []Anchor
}

const defaultWindow = 4096

// Problem is one finding of Verify, located by the record's seq (its
// auditseq, 0 if it has none), event id and input position. For a removed
// range, Seq is the first missing seq and Position that of the record after
// the gap (-1 if none).
type Problem struct {
	Kind     Kind   `json:"kind"`
	Seq      int64  `json:"seq"`
	EventID  string `json:"event_id,omitempty"`
	Position int    `json:"position"`
	Detail   string `json:"detail"`
}

// Report is the outcome of Verify.
type Report struct {
	Records     int       `json:"records"`         // records read, duplicates included
	Duplicates  int       `json:"duplicates"`      // exact redeliveries dropped (same event id and hash)
	First       int64     `json:"first"`           // lowest seq in the chain, 0 if none
	Last        int64     `json:"last"`            // highest seq in the chain, 0 if none
	HeadChecked bool      `json:"head_checked"`    // the last record was compared with the store's head
	Appended    int       `json:"appended"`        // records appended while verifying the store, not checked
	Problems    []Problem `json:"problems"`        // sorted by seq, then position
	Omitted     int       `json:"omitted"`         // problems beyond VerifyOptions.MaxProblems
	Anchors     int       `json:"anchors"`         // checkpoints the chain was checked against
	Notes       []string  `json:"notes,omitempty"` // what could not be verified
}

// OK reports whether the trail verified without a problem.
func (r Report) OK() bool { return len(r.Problems) == 0 && r.Omitted == 0 }

// Verify checks a trail of audit records: it orders them by auditseq, drops
// exact duplicates (at-least-once delivery) and reports every record that
// was changed, removed, inserted, reordered (Ordered input only) or is
// malformed. Any single changed byte of a record's data or attributes
// changes its hash, which its successor's auditprev (or, for the last one,
// opts.Head) no longer matches.
func Verify(records []Record, opts VerifyOptions) Report {
	v := NewVerifier(opts)
	for _, r := range records {
		v.Add(r)
	}
	return v.Finish()
}

// Verifier is Verify one record at a time, for trails too long to hold in
// memory: it keeps a compact entry per record (not the message) and, for
// Ordered input, only a window of them. It is not safe for concurrent use.
type Verifier struct {
	opts     VerifyOptions
	arrivals int
	groups   map[int64][]entry // pending entries by seq
	seqs     seqHeap           // the keys of groups
	pending  int               // entries in groups
	claimed  map[int64]bool    // seqs claimed by malformed records
	head     digest            // opts.Head.Hash decoded
	headOK   bool              // it decoded
	anchors  *anchorSet
	walk     walker
	rep      Report
}

// NewVerifier returns a Verifier; call Add for each record, then Finish.
func NewVerifier(opts VerifyOptions) *Verifier {
	if opts.Window <= 0 {
		opts.Window = defaultWindow
	}
	if opts.PositionName == "" {
		opts.PositionName = "position"
	}
	v := &Verifier{opts: opts, groups: map[int64][]entry{}, claimed: map[int64]bool{}}
	v.anchors = newAnchorSet(v, opts.Anchors)
	if opts.Head != nil {
		v.headOK = decodeDigest(&v.head, opts.Head.Hash) == nil
	}
	v.walk = walker{v: v}
	return v
}

// Add takes the next record of the input.
func (v *Verifier) Add(r Record) {
	v.rep.Records++
	e, p := parse(r, v.arrivals)
	v.arrivals++
	if p != nil {
		if p.Seq > 0 {
			v.claimed[p.Seq] = true
		}
		v.problem(*p)
		return
	}
	if h := v.opts.Head; h != nil && e.seq > h.Seq {
		v.problemf(Inserted, e, "beyond the chain head the store reports (seq %d)", h.Seq)
		return
	}
	if v.walk.started && e.seq <= v.walk.last {
		v.walk.late(e)
		return
	}
	if _, ok := v.groups[e.seq]; !ok {
		heap.Push(&v.seqs, e.seq)
	}
	v.groups[e.seq] = append(v.groups[e.seq], e)
	v.pending++
	if v.opts.Ordered {
		for v.pending > v.opts.Window {
			v.flush()
		}
	}
}

// Finish checks what is still pending and returns the report.
func (v *Verifier) Finish() Report {
	for v.seqs.Len() > 0 {
		v.flush()
	}
	v.walk.finish()
	slices.SortStableFunc(v.rep.Problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Position, b.Position), cmp.Compare(a.Kind, b.Kind))
	})
	return v.rep
}

// flush hands the lowest pending seq, and a look at the next one, to the
// walker.
func (v *Verifier) flush() {
	s := heap.Pop(&v.seqs).(int64)
	g := v.groups[s]
	delete(v.groups, s)
	v.pending -= len(g)
	v.walk.push(s, g, v.groups[s+1])
}

func (v *Verifier) problem(p Problem) {
	if v.opts.MaxProblems > 0 && len(v.rep.Problems) >= v.opts.MaxProblems {
		v.rep.Omitted++
		return
	}
	v.rep.Problems = append(v.rep.Problems, p)
}

// seqHeap is a min-heap of seqs.
type seqHeap []int64

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *seqHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
