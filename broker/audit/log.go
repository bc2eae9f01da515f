package audit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Log appends audit events to the chain in the store's outbox.
type Log struct {
	// Topic is the audit topic ID the relay publishes to.
	Topic string
}

// Append validates e, links it to the chain head and enqueues it in tx. The
// chain head stays locked until tx ends, so records get gap-free positions
// even with many workers.
func (l Log) Append(ctx context.Context, tx store.Tx, e event.Event) error {
	seq, prev, err := tx.ChainHead(ctx)
	if err != nil {
		return fmt.Errorf("store.ChainHead: %w", err)
	}
	if prev == "" {
		prev = Genesis
	}
	e.SetExtension(events.ExtAuditSeq, strconv.FormatInt(seq+1, 10))
	e.SetExtension(events.ExtAuditPrev, prev)
	m, err := events.Encode(e)
	if err != nil {
		return fmt.Errorf("events.Encode(%s): %w", e.Type(), err)
	}
	_, err = tx.Enqueue(ctx, store.OutboxMessage{
		Topic:      l.Topic,
		EventID:    e.ID(),
		Data:       m.Data,
		Attributes: m.Attributes,
		Seq:        seq + 1,
		Hash:       Hash(m),
	})
	if err != nil {
		return fmt.Errorf("store.Enqueue: %w", err)
	}
	return nil
}
