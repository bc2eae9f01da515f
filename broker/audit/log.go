package audit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/events"
)

// Log appends audit events to the store's outbox, to be chained.
type Log struct {
	// Topic is the audit topic ID the relay publishes to.
	Topic string
}

// Append validates e and enqueues it in tx as an audit record. It takes no
// lock and waits for no other transaction: the record joins the chain after
// tx commits, when the sequencer (Link, called by the outbox relay through
// store.SequenceAudit) gives it its auditseq and auditprev.
func (l Log) Append(ctx context.Context, tx store.Tx, e event.Event) error {
	telemetry.Stamp(ctx, e) // the emitting step's trace context, before the record is hashed
	ext := e.Extensions()
	if _, ok := ext[events.ExtAuditSeq]; ok {
		return errors.New("audit: the event already carries auditseq: only the sequencer sets it")
	}
	if _, ok := ext[events.ExtAuditPrev]; ok {
		return errors.New("audit: the event already carries auditprev: only the sequencer sets it")
	}
	m, err := events.Encode(e)
	if err != nil {
		return fmt.Errorf("events.Encode(%s): %w", e.Type(), err)
	}
	_, err = tx.Enqueue(ctx, store.OutboxMessage{
		Topic:      l.Topic,
		EventID:    e.ID(),
		Data:       m.Data,
		Attributes: m.Attributes,
		Chain:      true,
	})
	if err != nil {
		return fmt.Errorf("store.Enqueue: %w", err)
	}
	return nil
}

// Link is the store.Linker of the audit chain: it sets the record's
// ce-auditseq and ce-auditprev (Genesis for the first record) and its Hash.
func Link(m *store.OutboxMessage, seq int64, prev string) error {
	if seq <= 0 {
		return fmt.Errorf("audit: seq %d is not a chain position", seq)
	}
	if prev == "" {
		if seq != 1 {
			return fmt.Errorf("audit: seq %d has no predecessor hash", seq)
		}
		prev = Genesis
	}
	attrs := maps.Clone(m.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs[attrSeq] = strconv.FormatInt(seq, 10)
	attrs[attrPrev] = prev
	m.Attributes = attrs
	m.Hash = Hash(events.Message{Data: m.Data, Attributes: attrs})
	return nil
}

var _ store.Linker = Link

// Sequencer is the part of the store that chains audit records.
type Sequencer interface {
	SequenceAudit(ctx context.Context, limit int, link store.Linker) (int, error)
}

// Sequence chains every audit record committed so far, batch at a time
// (default 500), and returns how many it chained. The outbox relay does
// this before each publishing round; tools and tests call it directly.
func Sequence(ctx context.Context, st Sequencer, batch int) (int, error) {
	if batch <= 0 {
		batch = 500
	}
	total := 0
	for {
		n, err := st.SequenceAudit(ctx, batch, Link)
		total += n
		if err != nil {
			return total, fmt.Errorf("store.SequenceAudit: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}
