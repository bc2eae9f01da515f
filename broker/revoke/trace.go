package revoke

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
)

// startCancel starts the span of one cancel of a cascade, in the cascade's
// trace (the SCIM request's), linked to the trace of the request that
// started the job.
func startCancel(ctx context.Context, j store.Job) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{trace.WithAttributes(attribute.String("iis.request_id", j.RequestID),
		attribute.String("iis.resource", j.Resource))}
	if jctx, err := telemetry.ContextFrom(context.Background(), j.Traceparent); err == nil {
		opts = append(opts, trace.WithLinks(trace.LinkFromContext(jctx, attribute.String("iis.link", "job request"))))
	}
	return telemetry.Start(ctx, "iis.cascade.cancel", opts...)
}
