package outbox

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/events"
)

// startPublish starts the producer span of one stored event's publish, in
// the trace the event carries (the step that emitted it). The stored
// attributes are not changed: an audit record's are hashed into the chain.
// An event without a trace is published without a span.
func startPublish(ctx context.Context, m store.OutboxMessage) (context.Context, trace.Span) {
	tctx, err := telemetry.ContextFrom(ctx, m.Attributes["ce-"+events.ExtTraceparent])
	if err != nil {
		return ctx, trace.SpanFromContext(context.Background()) // a no-op span
	}
	typ := strings.TrimPrefix(m.Attributes["ce-type"], events.Prefix+".")
	return telemetry.Start(tctx, "publish "+typ, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
		attribute.String("messaging.system", "gcp_pubsub"), attribute.String("messaging.destination.name", m.Topic),
		attribute.String("cloudevents.event_id", m.EventID), attribute.String("cloudevents.event_type", m.Attributes["ce-type"]),
		attribute.Int64("iis.audit_seq", m.Seq)))
}
