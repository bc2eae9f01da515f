package telemetry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/dataproc-iis/iis/broker/fault"
)

// Start starts a span of the installed Telemetry (a no-op span, carrying
// any parent's context, when it is off).
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return Current().tracer.Start(ctx, name, opts...)
}

// End ends span, recording err (its fault kind and reason, and its text cut
// to 256 bytes: error texts are written for logs and hold no secret).
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetAttributes(attribute.String("iis.fault.kind", fault.KindOf(err).String()),
			attribute.String("iis.fault.reason", fault.ReasonOf(err)))
		span.SetStatus(codes.Error, cut(err.Error(), 256))
	}
	span.End()
}

// EndErr ends span with *errp: for `defer telemetry.EndErr(span, &err)`.
func EndErr(span trace.Span, errp *error) { End(span, *errp) }

// Event adds an event to ctx's span.
func Event(ctx context.Context, name string, attrs ...attribute.KeyValue) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(name, trace.WithAttributes(attrs...))
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// TracerProvider forwards to the installed Telemetry at each span start, so
// that clients built before a test installs one (the gRPC clients) still
// trace into it.
func TracerProvider() trace.TracerProvider { return dynamicProvider{} }

type dynamicProvider struct{ embedded.TracerProvider }

func (dynamicProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return dynamicTracer{name: name, opts: opts}
}

type dynamicTracer struct {
	embedded.Tracer
	name string
	opts []trace.TracerOption
}

func (d dynamicTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return Current().tp.Tracer(d.name, d.opts...).Start(ctx, name, opts...)
}

// ErrNoTrace is returned by ContextFrom for a traceparent that does not parse.
var ErrNoTrace = errors.New("telemetry: not a W3C traceparent")
