package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Scope is the instrumentation scope of the broker's spans and metrics.
const Scope = "github.com/dataproc-iis/iis/broker"

// Config says where traces and metrics go.
type Config struct {
	// Service is the service.name resource attribute (e.g. "iis-serve").
	Service string
	// Prometheus serves the metrics on Handler (for /metrics).
	Prometheus bool
	// OTLP exports traces and metrics over OTLP/gRPC, configured by the
	// standard OTEL_EXPORTER_OTLP_* variables; see OTLPFromEnv.
	OTLP bool
	// SpanExporters and Readers are added as given (tests: in-memory).
	SpanExporters []sdktrace.SpanExporter
	SyncExport    bool // export each span as it ends (tests), not batched
	Readers       []sdkmetric.Reader
	// Sampler defaults to the SDK's: OTEL_TRACES_SAMPLER (and _ARG) when
	// set, else parent-based always on (a trace the pipeline sampled is
	// recorded, and so is every trace the broker starts).
	Sampler sdktrace.Sampler
}

// OTLPFromEnv reports whether OTLP export is asked for: an OTLP endpoint is
// set (OTEL_EXPORTER_OTLP_ENDPOINT, or the traces or metrics one). Export
// is off unless it is.
func OTLPFromEnv() bool {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// Telemetry is a process's tracer and metrics. The zero of it (Off) does
// nothing.
type Telemetry struct {
	tp      trace.TracerProvider
	tracer  trace.Tracer
	mp      metric.MeterProvider
	handler http.Handler
	m       *instruments
	on      bool
	closers []func(context.Context) error
}

var off = newOff()

func newOff() *Telemetry {
	tp := tracenoop.NewTracerProvider()
	mp := metricnoop.NewMeterProvider()
	m, _ := newInstruments(mp.Meter(Scope))
	return &Telemetry{tp: tp, tracer: tp.Tracer(Scope), mp: mp, m: m,
		handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "metrics are off in this process\n", http.StatusNotFound)
		})}
}

// Off is the Telemetry that records nothing.
func Off() *Telemetry { return off }

// New builds the providers cfg asks for. Close flushes and stops them.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", or(cfg.Service, "iis"))))
	if err != nil {
		return nil, fmt.Errorf("resource.Merge: %w", err)
	}
	t := &Telemetry{on: true}
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if cfg.Sampler != nil {
		topts = append(topts, sdktrace.WithSampler(cfg.Sampler))
	}
	for _, e := range cfg.SpanExporters {
		if cfg.SyncExport {
			topts = append(topts, sdktrace.WithSyncer(e))
		} else {
			topts = append(topts, sdktrace.WithBatcher(e))
		}
	}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	for _, r := range cfg.Readers {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	if cfg.OTLP {
		te, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlptracegrpc.New: %w", err)
		}
		topts = append(topts, sdktrace.WithBatcher(te))
		me, err := otlpmetricgrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlpmetricgrpc.New: %w", err)
		}
		mopts = append(mopts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me)))
	}
	t.handler = off.handler
	if cfg.Prometheus {
		reg := prometheus.NewRegistry()
		pe, err := promexporter.New(promexporter.WithRegisterer(reg), promexporter.WithoutScopeInfo())
		if err != nil {
			return nil, fmt.Errorf("prometheus.New: %w", err)
		}
		mopts = append(mopts, sdkmetric.WithReader(pe))
		t.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}
	tp := sdktrace.NewTracerProvider(topts...)
	mp := sdkmetric.NewMeterProvider(mopts...)
	t.tp, t.tracer, t.mp = tp, tp.Tracer(Scope), mp
	t.closers = append(t.closers, tp.Shutdown, mp.Shutdown)
	if t.m, err = newInstruments(mp.Meter(Scope)); err != nil {
		return nil, err
	}
	return t, nil
}

// Close flushes what is buffered and stops the exporters.
func (t *Telemetry) Close(ctx context.Context) error {
	var errs []error
	for _, c := range t.closers {
		errs = append(errs, c(ctx))
	}
	return errors.Join(errs...)
}

// Handler serves the metrics in the Prometheus text format (404 when the
// process does not serve them).
func (t *Telemetry) Handler() http.Handler { return t.handler }

// On reports whether t records anything.
func (t *Telemetry) On() bool { return t.on }

// MeterProvider is t's meter provider (for observers of the store).
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.mp }

var current atomic.Pointer[Telemetry]

// Current is the installed Telemetry, or Off.
func Current() *Telemetry {
	if t := current.Load(); t != nil {
		return t
	}
	return off
}

// Install makes t the process's Telemetry and returns a function that puts
// back the previous one. Commands install one at start; tests install an
// in-memory one around what they measure.
func Install(t *Telemetry) (restore func()) {
	prev := current.Swap(t)
	return func() { current.Store(prev) }
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
