package telemetry

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
)

// GRPCClientOption instruments a Google client (IAM Credentials, Dataproc)
// with otelgrpc: a client span per call, in the caller's trace, and the
// trace context sent along. Neither messages nor metadata (the bearer
// token) are recorded. The broker counts its calls itself (bounded labels),
// so otelgrpc's own metrics are off.
func GRPCClientOption() option.ClientOption {
	return option.WithGRPCDialOption(grpc.WithStatsHandler(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(TracerProvider()),
		otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelgrpc.WithPropagators(traceContext),
	)))
}

// HTTPHandler gives each request to h a server span named operation and
// the method (otelhttp). The caller's trace context is not trusted as a parent (a
// caller could pick the trace id or turn sampling off): it is linked.
// URLs are recorded without their query string.
func HTTPHandler(h http.Handler, operation string) http.Handler {
	return otelhttp.NewHandler(h, operation,
		otelhttp.WithTracerProvider(TracerProvider()),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithPropagators(traceContext),
		otelhttp.WithPublicEndpointFn(func(*http.Request) bool { return true }),
		otelhttp.WithSpanNameFormatter(func(op string, r *http.Request) string { return op + " " + r.Method }),
	)
}
