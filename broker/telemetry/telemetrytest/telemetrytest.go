// Package telemetrytest installs an in-memory Telemetry for a test and
// reads back its spans and metrics.
package telemetrytest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/dataproc-iis/iis/broker/telemetry"
)

// Recorder is an installed in-memory Telemetry.
type Recorder struct {
	*telemetry.Telemetry
	Spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	t      testing.TB
}

// Install installs an in-memory Telemetry (spans exported as they end)
// until the test ends.
func Install(t testing.TB) *Recorder {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "test", SpanExporters: []sdktrace.SpanExporter{spans}, SyncExport: true,
		Readers: []sdkmetric.Reader{reader}, Prometheus: true})
	if err != nil {
		t.Fatal(err)
	}
	restore := telemetry.Install(tel)
	t.Cleanup(func() { restore(); tel.Close(context.Background()) })
	return &Recorder{Telemetry: tel, Spans: spans, reader: reader, t: t}
}

// Trace returns the ended spans of one trace.
func (r *Recorder) Trace(id trace.TraceID) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range r.Spans.GetSpans() {
		if s.SpanContext.TraceID() == id {
			out = append(out, s)
		}
	}
	return out
}

// Collect reads every metric now.
func (r *Recorder) Collect() metricdata.ResourceMetrics {
	r.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		r.t.Fatal(err)
	}
	return rm
}

// Count is the value of a counter (or the count of a histogram) summed
// over the data points whose attributes include every one of want.
func (r *Recorder) Count(name string, want ...attribute.KeyValue) int64 {
	r.t.Helper()
	var n int64
	for _, sm := range r.Collect().ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if has(p.Attributes, want) {
						n += p.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					if has(p.Attributes, want) {
						n += int64(p.Count)
					}
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					if has(p.Attributes, want) {
						n += p.Value
					}
				}
			}
		}
	}
	return n
}

func has(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}
