package revoke_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// clusterPolicyYAML lets data-eng create up to 12 clusters and open their logs.
const clusterPolicyYAML = `
version: 1
roles:
  etl:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets:
      - {project: iis-dev, region: europe-west1, serverless: true}
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/]
    clusters:
      max_clusters: 12
      templates:
        small:
          project: iis-dev
          region: europe-west1
          master: {machine_type: n2-standard-4}
          workers: {count: 2, machine_type: n2-standard-4}
          image_version: 2.2-debian12
          idle_delete_ttl: 30m
          auto_delete_ttl: 4h
      caps:
        projects: [iis-dev]
        regions: [europe-west1]
        machine_types: [n2-standard-4]
        max_workers: 2
        image_versions: ["2.2-*"]
        max_idle_delete_ttl: 1h
        max_auto_delete_ttl: 4h
      access:
        logs: {iam_role: roles/dataproc.viewer, max_duration: 1h}
bindings:
  - {group: data-eng, role: etl}
`

// BenchmarkLeaverClusters measures, in the `iis dev` configuration (pstest,
// the local IAM and Dataproc servers, SQLite), how long a leaver with 10
// running clusters and 10 access bindings (one on each) keeps them: from
// the SCIM PATCH active=false being received to the last cluster delete
// and binding removal issued, as access.revoked reports it. Run with a
// fixed count:
//
//	go test -run '^$' -bench LeaverClusters -benchtime 20x ./broker/revoke/
func BenchmarkLeaverClusters(b *testing.B) {
	const clusters = 10
	stack := brokertest.NewStack(b, clusterPolicyYAML, dataprocserver.Timing{Pending: 5 * time.Millisecond, Running: time.Hour, Cancel: 20 * time.Millisecond},
		func(c *devstack.Config) {
			c.ClusterTiming = dataprocserver.ClusterTiming{Create: 5 * time.Millisecond, Delete: 20 * time.Millisecond}
		})
	be := brokertest.New(b, stack.Option(), func(c *service.Config) {
		c.Pipeline.Limiter = dataproc.LimiterConfig{PerMinute: 1_000_000, Burst: 10_000}
	})
	var dir strings.Builder
	dir.WriteString("users:\n")
	for i := 0; i < b.N; i++ {
		fmt.Fprintf(&dir, "  - {user_name: leaver%d@example.com, emails: [leaver%d@example.com], groups: [data-eng]}\n", i, i)
	}
	be.ImportDirectory(dir.String())
	be.Start()
	e := env{Env: be, stack: stack, scim: be.SCIM(), seen: new([]event.Event)}

	var latencies []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		who := fmt.Sprintf("leaver%d@example.com", i)
		tok := stack.Token(who)
		running := map[string]bool{}
		for range clusters {
			running[publishData(b, e, events.ClusterRequested, tok, `{"template":"small"}`).ID()] = false
		}
		for left := clusters; left > 0; {
			if sc, err := events.DecodeClusterStateChange(e.next(b)); err == nil && sc.State == "RUNNING" && !running[sc.RequestID] {
				if _, ok := running[sc.RequestID]; ok {
					running[sc.RequestID] = true
					left--
				}
			}
		}
		granted := map[string]bool{}
		for id := range running {
			granted[publishData(b, e, events.AccessRequested, tok, `{"cluster_request_id":"`+id+`","view":"logs"}`).ID()] = false
		}
		for left := clusters; left > 0; {
			ev := e.next(b)
			rid, _ := ev.Extensions()[events.ExtRequestID].(string) // a checkpoint or identity event has none
			if done, ok := granted[rid]; ok && !done && ev.Type() == events.AccessGranted {
				granted[rid] = true
				left--
			}
		}
		id := e.SCIMUserID(e.scim, who)
		b.StartTimer()

		e.SCIMDeactivate(e.scim, id)
		for {
			ev := e.next(b)
			if ev.Type() != events.AccessRevoked || ev.Subject() != id {
				continue
			}
			rev, err := events.DecodeRevocation(ev)
			if err != nil {
				b.Fatal(err)
			}
			n := map[string]int{}
			for _, a := range rev.Actions {
				if a.Outcome == events.ActionSucceeded {
					n[a.Kind]++
				}
			}
			if n[events.ActionDeleteCluster] != clusters || n[events.ActionRemoveBinding] != clusters {
				b.Fatalf("access.revoked: %d clusters deleted and %d bindings removed, want %d of each (%+v)",
					n[events.ActionDeleteCluster], n[events.ActionRemoveBinding], clusters, rev.Actions)
			}
			latencies = append(latencies, time.Duration(rev.LatencyMS)*time.Millisecond)
			break
		}
	}
	b.StopTimer()
	report(b, "deletes", latencies)
}

func publishData(b testing.TB, e env, typ, token, data string) event.Event {
	b.Helper()
	data = strings.Replace(data, "{", `{"id_token":"`+token+`",`, 1)
	ev, err := events.NewFromJSON(typ, "//bench", []byte(data))
	if err != nil {
		b.Fatal(err)
	}
	e.PublishEvent(ev)
	return ev
}
