package watch

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
)

// startCheck starts the span of one poll of a job, in the trace of the
// request that submitted it (the job's stored traceparent), so that the
// state changes it records join that trace.
func startCheck(ctx context.Context, j store.Job) (context.Context, trace.Span) {
	ctx, err := telemetry.ContextFrom(ctx, j.Traceparent)
	if err != nil {
		// A job recorded without a trace: a poll is not worth a trace of
		// its own.
		return ctx, trace.SpanFromContext(context.Background()) // a no-op span
	}
	return telemetry.Start(ctx, "iis.watch", trace.WithAttributes(
		attribute.String("iis.request_id", j.RequestID), attribute.String("iis.resource", j.Resource),
		attribute.String("iis.previous_state", j.State)))
}

func endCheck(ctx context.Context, span trace.Span, j store.Job, changed bool, err error) {
	span.SetAttributes(attribute.Bool("iis.changed", changed))
	telemetry.End(span, err)
}
