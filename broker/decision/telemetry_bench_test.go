package decision

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dataproc-iis/iis/broker/telemetry"
)

// BenchmarkDecideTelemetry is BenchmarkDecide with telemetry off and on.
// On is what `iis serve` runs by default: every span recorded (four per
// decision: decide, verify, directory, policy) through a batching
// processor to an exporter, and the decision counter and latency
// histogram aggregated for a reader; on_sampled_10pct records one trace in
// ten (OTEL_TRACES_SAMPLER=parentbased_traceidratio, _ARG=0.1), the
// metrics all. Run them back to back: the overhead is on/off - 1.
func BenchmarkDecideTelemetry(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cache int
	}{{"cached", 1000}, {"fresh_rs256", -1}} {
		for _, mode := range []struct {
			name    string
			on      bool
			sampler sdktrace.Sampler
		}{{"off", false, nil}, {"on", true, nil}, {"on_sampled_10pct", true, sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1))}} {
			on := mode.on
			b.Run(bc.name+"/"+mode.name, func(b *testing.B) {
				if on {
					tel, err := telemetry.New(context.Background(), telemetry.Config{
						SpanExporters: []sdktrace.SpanExporter{tracetest.NewNoopExporter()},
						Readers:       []sdkmetric.Reader{sdkmetric.NewManualReader()},
						Prometheus:    true,
						Sampler:       mode.sampler,
					})
					if err != nil {
						b.Fatal(err)
					}
					defer telemetry.Install(tel)()
					defer tel.Close(context.Background())
				}
				f, raw := benchDecide(b, bc.cache)
				req := etlRequest()
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if out, err := f.decider.Decide(ctx, raw, req); err != nil || !out.Allowed() {
						b.Fatalf("Decide() = %s, %v", out.Reason(), err)
					}
				}
			})
		}
	}
}
