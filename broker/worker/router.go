package worker

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Handler handles one decoded, validated, not-yet-seen event. It returns
// nil when the event is fully processed, a permanent fault when it can
// never be, and any other error to have it redelivered. Handlers must be
// idempotent: a crash after a handler's commit and before the ack means the
// event is delivered again.
type Handler interface {
	Handle(ctx context.Context, e event.Event) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, e event.Event) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, e event.Event) error { return f(ctx, e) }

// Router maps event types to handlers.
type Router map[string]Handler

// Handle registers h for type typ, replacing any earlier one.
func (r Router) Handle(typ string, h Handler) { r[typ] = h }
