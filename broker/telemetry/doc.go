// Package telemetry owns the broker's traces and metrics: the OpenTelemetry
// providers (an OTLP exporter when the standard OTEL_EXPORTER_OTLP_*
// variables are set, Prometheus on /metrics, in-memory exporters for
// tests), the CloudEvents distributed-tracing extension (traceparent)
// extracted from a delivered event and stamped on every event the broker
// emits, and the broker's metrics with bounded label sets.
//
// It is separate so that the other packages only add a span around a step
// or a counter increment: they call Start and the methods of Current(),
// which do nothing (cheaply) until a process installs a Telemetry.
//
// No secret is ever an attribute or a label: spans carry ids, types,
// reason codes and fingerprints only, and labels are reason codes,
// outcomes, states and regions, each from a bounded set (never a principal
// or a request id).
package telemetry
