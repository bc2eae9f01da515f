package worker

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/events"
)

// startSpan starts the consumer span of a delivery, continuing the trace
// the event's traceparent names (the pipeline's, or the SCIM request's),
// and counts a redelivery.
func startSpan(ctx context.Context, e event.Event, d Delivery) (context.Context, trace.Span) {
	if d.Attempt > 1 {
		telemetry.Current().Redelivered(ctx, e.Type())
	}
	return telemetry.Start(telemetry.Extract(ctx, e), "process "+strings.TrimPrefix(e.Type(), events.Prefix+"."),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "gcp_pubsub"),
			attribute.String("messaging.message.id", d.ID),
			attribute.String("messaging.consumer.channel", d.Channel),
			attribute.Int("messaging.gcp_pubsub.message.delivery_attempt", d.Attempt),
			attribute.String("cloudevents.event_id", e.ID()),
			attribute.String("cloudevents.event_type", e.Type()),
			attribute.String("cloudevents.event_source", e.Source()),
		))
}

func endSpan(ctx context.Context, span trace.Span, res Result) {
	span.SetAttributes(attribute.String("iis.result", res.String()))
	span.End()
}

// nacked counts a message handed back for redelivery and returns Nack.
func nacked(ctx context.Context, err error) Result {
	reason := fault.ReasonOf(err)
	telemetry.Current().Nacked(ctx, reason)
	telemetry.Event(ctx, "nack", attribute.String("iis.fault.reason", reason))
	return Nack
}
