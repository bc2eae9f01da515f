package outbox

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/events"
)

// Enqueue encodes e (validating it against its schema) and stores it in tx
// for delivery to topic once the transaction commits.
func Enqueue(ctx context.Context, tx store.Tx, topic string, e event.Event) error {
	telemetry.Stamp(ctx, e)
	m, err := events.Encode(e)
	if err != nil {
		return fmt.Errorf("events.Encode(%s): %w", e.Type(), err)
	}
	_, err = tx.Enqueue(ctx, store.OutboxMessage{
		Topic:      topic,
		EventID:    e.ID(),
		Data:       m.Data,
		Attributes: m.Attributes,
	})
	if err != nil {
		return fmt.Errorf("store.Enqueue: %w", err)
	}
	return nil
}
