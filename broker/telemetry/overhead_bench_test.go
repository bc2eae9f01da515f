package telemetry_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

// BenchmarkDecisionPath is a worker's decision path for one job request,
// telemetry off and on: decode and validate the CloudEvent, look up its
// dedupe key, verify the token (cached), read the directory (SQLite),
// evaluate the policy, record the decision with its audit event in one
// transaction, mark the message processed. On is what `iis serve` runs:
// every span recorded (the consumer span, decide, verify, directory,
// policy) through a batching processor, and every metric aggregated. Run
// the pair back to back: the overhead is on/off - 1. The store is SQLite
// in memory (memDir).
func BenchmarkDecisionPath(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			if on {
				tel, err := telemetry.New(context.Background(), telemetry.Config{
					SpanExporters: []sdktrace.SpanExporter{tracetest.NewNoopExporter()},
					Readers:       []sdkmetric.Reader{sdkmetric.NewManualReader()},
					Prometheus:    true,
				})
				if err != nil {
					b.Fatal(err)
				}
				defer telemetry.Install(tel)()
				defer tel.Close(context.Background())
			}
			proc, token := decidingProcessor(b)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				m, err := events.Encode(jobRequest(b, token))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if res := proc.Process(ctx, worker.Delivery{ID: "m", Message: m, Attempt: 1, Channel: events.ChannelRequests}); res != worker.Ack {
					b.Fatalf("Process() = %v", res)
				}
			}
		})
	}
}

// memDir is a directory in memory (/dev/shm) when there is one: the disk's
// fsync times, which vary by milliseconds on a shared machine, would hide
// the microseconds measured here.
func memDir(b *testing.B) string {
	d, err := os.MkdirTemp("/dev/shm", "iis-bench-")
	if err != nil {
		return b.TempDir()
	}
	b.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// decidingProcessor is a decide-only broker's processor on SQLite, with the
// directory loaded, and a token of alice that the policy approves.
func decidingProcessor(b *testing.B) (*worker.Processor, string) {
	stack := brokertest.NewStack(b, policyYAML, dataprocserver.Timing{})
	cfg := service.Config{Name: "bench", Store: filepath.Join(memDir(b), "iis.db"), Topology: transport.DefaultTopology(), Worker: worker.DefaultConfig()}
	cfg.Pipeline = stack.Pipeline(stack.PolicyPath())
	cfg.Pipeline.Execute = false
	br, err := service.New(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { br.Close() })
	path := filepath.Join(b.TempDir(), "directory.yaml")
	if err := os.WriteFile(path, []byte(directoryYAML), 0o600); err != nil {
		b.Fatal(err)
	}
	f, err := directory.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := directory.Import(context.Background(), br.Store, f, directory.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	return br.Processor, stack.Token("alice@example.com")
}
