package approval_test

import (
	"sort"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

// BenchmarkPendingToRunning measures, in the `iis dev` configuration
// (pstest, the local IAM and Dataproc servers, SQLite), how long a request
// that waited for approvers takes to run once its last approval is sent:
// from publishing the approval.granted to its job.approved (counted and
// settled), to its job.submitted (minted and submitted) and to the job's
// RUNNING (the local Dataproc's PENDING lasts 5ms; the watcher polls every
// 10ms); and, as the baseline, the same for a routine request from its
// publication. Run with a fixed count:
//
//	go test -run '^$' -bench PendingToRunning -benchtime 50x ./broker/approval/
func BenchmarkPendingToRunning(b *testing.B) {
	// routine is the same path for a request no rule holds, from its
	// publication: the baseline.
	for _, name := range []string{"after_last_approval", "routine"} {
		b.Run(name, func(b *testing.B) {
			e := start(b, dataprocserver.Timing{Pending: 5 * time.Millisecond, Running: time.Hour})
			alice, grace := e.token(b, "alice@example.com"), e.token(b, "grace@example.com")
			var approved, submitted, running []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				var req, send event.Event
				if name == "routine" {
					req = e.requestEvent(b, alice, "etl")
					send = req
				} else {
					req = e.request(b, alice, "single")
					ar := e.pending(b, req)
					send = e.verdict(b, grace, req.ID(), ar.RequestDigest, false)
				}
				b.StartTimer()
				start := time.Now()
				e.PublishEvent(send)
				e.audit.await(b, "job.approved", func(x event.Event) bool { return x.Type() == events.JobApproved && x.Subject() == req.ID() })
				approved = append(approved, time.Since(start))
				e.audit.await(b, "job.submitted", func(x event.Event) bool { return x.Type() == events.JobSubmitted && x.Subject() == req.ID() })
				submitted = append(submitted, time.Since(start))
				e.audit.await(b, "RUNNING", func(x event.Event) bool {
					sc, err := events.DecodeStateChange(x)
					return err == nil && sc.RequestID == req.ID() && sc.State == "RUNNING"
				})
				running = append(running, time.Since(start))
			}
			b.StopTimer()
			report(b, "approved", approved)
			report(b, "submitted", submitted)
			report(b, "running", running)
		})
	}
}

func report(b *testing.B, name string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	pct := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), name+"-p50-ms")
	b.ReportMetric(pct(0.99), name+"-p99-ms")
}
