package revoke_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

// BenchmarkLeaver measures, in the `iis dev` configuration (pstest, the
// local IAM and Dataproc servers, SQLite), how long a leaver keeps access:
// from the SCIM PATCH active=false being received to the last cancel
// issued (as the access.revoked event reports it), and to the denial of a
// request the leaver publishes right after the PATCH returns. The Dataproc
// quota is set high so that it does not bind. Run with a fixed count:
//
//	go test -run '^$' -bench Leaver -benchtime 20x ./broker/revoke/
func BenchmarkLeaver(b *testing.B) {
	for _, jobs := range []int{1, 100} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) { benchLeaver(b, jobs) })
	}
}

func benchLeaver(b *testing.B, jobs int) {
	stack := brokertest.NewStack(b, policyYAML, dataprocserver.Timing{Pending: 5 * time.Millisecond, Running: time.Hour, Cancel: 20 * time.Millisecond})
	be := brokertest.New(b, stack.Option(), func(c *service.Config) {
		c.Pipeline.Limiter = dataproc.LimiterConfig{PerMinute: 1_000_000, Burst: 10_000}
	})
	var dir strings.Builder
	dir.WriteString("users:\n")
	for i := 0; i < b.N; i++ {
		fmt.Fprintf(&dir, "  - {user_name: leaver%d@example.com, groups: [data-eng]}\n", i)
	}
	be.ImportDirectory(dir.String())
	be.Start()
	e := env{Env: be, stack: stack, scim: be.SCIM(), seen: new([]event.Event)}

	var cancelled, denied []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		who := fmt.Sprintf("leaver%d@example.com", i)
		running := map[string]bool{}
		for j := 0; j < jobs; j++ {
			running[e.request(b, who, "").ID()] = false
		}
		for left := jobs; left > 0; {
			ev := e.next(b)
			if sc, err := events.DecodeStateChange(ev); err == nil && sc.State == "RUNNING" {
				if done, ok := running[sc.RequestID]; ok && !done {
					running[sc.RequestID] = true
					left--
				}
			}
		}
		id := e.SCIMUserID(e.scim, who)
		b.StartTimer()

		start := time.Now()
		e.SCIMDeactivate(e.scim, id)
		late := e.request(b, who, "")
		var gotRevoked, gotDenied bool
		for !gotRevoked || !gotDenied {
			ev := e.next(b)
			switch {
			case ev.Type() == events.AccessRevoked && ev.Subject() == id:
				rev, err := events.DecodeRevocation(ev)
				if err != nil {
					b.Fatal(err)
				}
				if n := countCancels(rev); n != jobs {
					b.Fatalf("access revoked cancelled %d jobs, want %d", n, jobs)
				}
				cancelled = append(cancelled, time.Duration(rev.LatencyMS)*time.Millisecond)
				gotRevoked = true
			case ev.Type() == events.JobDenied && ev.Extensions()[events.ExtRequestID] == late.ID():
				denied = append(denied, time.Since(start))
				gotDenied = true
			}
		}
	}
	b.StopTimer()
	report(b, "cancels", cancelled)
	report(b, "denied", denied)
}

// next returns the next audit event, without keeping it.
func (e env) next(b testing.TB) event.Event {
	select {
	case ev := <-e.Audit:
		return ev
	case <-time.After(wait):
		b.Fatal("no audit event")
		return event.Event{}
	}
}

func countCancels(r events.Revocation) int {
	n := 0
	for _, a := range r.Actions {
		if a.Kind == events.ActionCancelJob && a.Outcome == events.ActionSucceeded {
			n++
		}
	}
	return n
}

func report(b *testing.B, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	pct := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), name+"-p50-ms")
	b.ReportMetric(pct(0.99), name+"-p99-ms")
}
