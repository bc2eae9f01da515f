package telemetry

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/dataproc-iis/iis/events"
)

// traceContext is the W3C Trace Context propagator, whatever the global
// one is (the OpenTelemetry default propagates nothing).
var traceContext = propagation.TraceContext{}

// header is a carrier of one traceparent.
type header struct{ tp string }

func (h *header) Get(key string) string {
	if key == "traceparent" {
		return h.tp
	}
	return ""
}
func (h *header) Set(key, v string) {
	if key == "traceparent" {
		h.tp = v
	}
}
func (h *header) Keys() []string { return []string{"traceparent"} }

// ContextFrom returns ctx with the remote span context of a W3C
// traceparent as parent (ctx unchanged, and ErrNoTrace, when it does not
// parse).
func ContextFrom(ctx context.Context, traceparent string) (context.Context, error) {
	if traceparent == "" {
		return ctx, ErrNoTrace
	}
	out := traceContext.Extract(ctx, &header{tp: traceparent})
	if !trace.SpanContextFromContext(out).IsValid() {
		return ctx, ErrNoTrace
	}
	return out, nil
}

// Extract continues the trace e carries in its traceparent extension (the
// CloudEvents distributed-tracing extension), if any.
func Extract(ctx context.Context, e event.Event) context.Context {
	if e.Context == nil {
		return ctx
	}
	tp, _ := e.Extensions()[events.ExtTraceparent].(string)
	ctx, _ = ContextFrom(ctx, tp)
	return ctx
}

// Traceparent is the W3C traceparent of ctx's span, or "" when ctx has no
// valid span context.
func Traceparent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	h := &header{}
	traceContext.Inject(ctx, h)
	return h.tp
}

// Stamp sets e's traceparent to ctx's span, so that whoever handles e
// continues the trace as a child of the step that emitted it. Without a
// span context e keeps what it had (WithCause copies the parent's).
func Stamp(ctx context.Context, e event.Event) {
	if e.Context == nil {
		return
	}
	if tp := Traceparent(ctx); tp != "" {
		e.SetExtension(events.ExtTraceparent, tp)
	}
}
