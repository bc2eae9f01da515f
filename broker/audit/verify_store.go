package audit

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Trail is the part of the store that VerifyStore reads.
type Trail interface {
	AuditTrail(ctx context.Context, afterSeq int64, limit int) ([]store.OutboxMessage, error)
	UnchainedAudit(ctx context.Context) (n int64, oldest time.Time, err error)
	View(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error
}

var _ Trail = store.Store(nil)

// StoreOptions tunes VerifyStore.
type StoreOptions struct {
	// PageSize is how many records each AuditTrail call reads; default 1000.
	PageSize int
	// MaxProblems caps the problems listed (0: no cap).
	MaxProblems int
	// Anchors are the heads of verified checkpoints (checkpoint.Load), read
	// before VerifyStore starts: an honest store's head is then at or past
	// every one of them.
	Anchors []Anchor
}

// VerifyStore verifies the chain the store keeps, from seq 1 to the chain
// head, reading it a page at a time so that memory does not grow with the
// trail. Records are checked against their stored hash, their neighbours,
// the genesis hash and the head, and in the store's seq order (a record
// whose auditseq is not where the store keeps it is reordered).
//
// It can run while the broker appends: the head is read first and only the
// records up to it are verified (Report.Appended counts those appended
// meanwhile). A record beyond a head read after the record was is not the
// chain's, since writers extend the chain only from its head: it is
// reported as inserted.
//
// An error means the trail could not be read (store unavailable, a row
// that does not scan); it says nothing about the trail's integrity.
func VerifyStore(ctx context.Context, t Trail, o StoreOptions) (Report, error) {
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	head, lastCheckpoint, err := chainHead(ctx, t)
	if err != nil {
		return Report{}, err
	}
	anchors := slices.Clone(o.Anchors)
	for i := range anchors {
		anchors[i].Remembered = anchors[i].Seq <= lastCheckpoint
	}
	v := NewVerifier(VerifyOptions{
		From: 1, Head: &head, Ordered: true, Window: max(defaultWindow, 2*o.PageSize),
		MaxProblems: o.MaxProblems, PositionName: "row", Anchors: anchors,
	})
	// The chain up to the head.
	var after int64
	for {
		page, err := t.AuditTrail(ctx, after, o.PageSize)
		if err != nil {
			return Report{}, fmt.Errorf("store.AuditTrail: %w", err)
		}
		for _, m := range page {
			if m.Seq > head.Seq {
				break
			}
			v.Add(storedRecord(m))
			after = m.Seq
		}
		if len(page) < o.PageSize || after >= head.Seq || page[len(page)-1].Seq > head.Seq {
			break
		}
	}
	// Rows beyond the head: appended since it was read, or forged.
	now, _, err := chainHead(ctx, t)
	if err != nil {
		return Report{}, err
	}
	appended := max(0, now.Seq-head.Seq)
	for after = max(now.Seq, head.Seq); ; {
		page, err := t.AuditTrail(ctx, after, o.PageSize)
		if err != nil {
			return Report{}, fmt.Errorf("store.AuditTrail: %w", err)
		}
		if len(page) == 0 {
			break
		}
		latest, _, err := chainHead(ctx, t)
		if err != nil {
			return Report{}, err
		}
		for _, m := range page {
			if m.Seq <= latest.Seq {
				appended++
				continue
			}
			v.Add(storedRecord(m))
		}
		after = page[len(page)-1].Seq
		if len(page) < o.PageSize {
			break
		}
	}
	rep := v.Finish()
	rep.Appended = int(appended)
	n, oldest, err := t.UnchainedAudit(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("store.UnchainedAudit: %w", err)
	}
	if n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d audit %s committed but not chained yet (the oldest at %s): the sequencer has not run since; they are checked once it has",
			n, plural(int(n), "record"), oldest.Format(time.RFC3339)))
	}
	return rep, nil
}

// chainHead reads the head and the seq of the last checkpoint the store
// lists (0 if none).
func chainHead(ctx context.Context, t Trail) (Head, int64, error) {
	var (
		h    Head
		last store.Checkpoint
	)
	err := t.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if h.Seq, h.Hash, err = tx.ChainHead(ctx); err != nil {
			return err
		}
		last, _, err = tx.LastCheckpoint(ctx)
		return err
	})
	if err != nil {
		return Head{}, 0, fmt.Errorf("store.ChainHead: %w", err)
	}
	return h, last.Seq, nil
}

// storedRecord is an outbox row as a Record; its position is its seq.
func storedRecord(m store.OutboxMessage) Record {
	return Record{
		Position:   int(m.Seq),
		Message:    events.Message{Data: m.Data, Attributes: m.Attributes},
		StoredHash: m.Hash,
	}
}
