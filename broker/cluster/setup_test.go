package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// policyYAML gives data-eng a role whose holders may run jobs on their own
// clusters (iis-*) and create them from the template "small".
const policyYAML = `
version: 1
roles:
  etl:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets:
      - {project: iis-dev, region: europe-west1, serverless: true}
      - {project: iis-dev, region: europe-west1, cluster: "iis-*"}
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/]
    max_duration: 2h
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
          component_gateway: true
      caps:
        projects: [iis-dev]
        regions: [europe-west1]
        machine_types: ["n2-standard-*"]
        max_workers: 4
        image_versions: ["2.2-*"]
        max_idle_delete_ttl: 2h
        max_auto_delete_ttl: 8h
        component_gateway: allowed
      access:
        logs: {iam_role: roles/dataproc.viewer, max_duration: 1h}
        ui: {iam_role: roles/dataproc.editor, max_duration: 30m}
bindings:
  - {group: data-eng, role: etl}
`

const directoryYAML = `
users:
  - {user_name: alice@example.com, emails: [alice@example.com], groups: [data-eng]}
  - {user_name: bob@example.com, emails: [bob@example.com], groups: [data-eng]}
  - {user_name: erin@example.com, emails: [erin@example.com], groups: [data-eng]}
`

const wait = 20 * time.Second

type env struct {
	*brokertest.Env
	stack *brokertest.Stack
	seen  *[]event.Event
}

func start(t testing.TB, opts ...func(*devstack.Config)) env {
	t.Helper()
	stack := brokertest.NewStack(t, policyYAML, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: 300 * time.Millisecond, Cancel: 20 * time.Millisecond}, opts...)
	e := brokertest.New(t, stack.Option())
	e.ImportDirectory(directoryYAML)
	e.Start()
	return env{Env: e, stack: stack, seen: new([]event.Event)}
}

// publish builds an event of a request type with who's token and publishes it.
func (e env) publish(t testing.TB, typ, who, data string) event.Event {
	t.Helper()
	data = strings.Replace(data, "{", `{"id_token":"`+e.stack.Token(who)+`",`, 1)
	ev, err := events.NewFromJSON(typ, "//test/"+who, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	e.PublishEvent(ev)
	return ev
}

func (e env) cluster(t testing.TB, who, config string) event.Event {
	t.Helper()
	return e.publish(t, events.ClusterRequested, who, fmt.Sprintf(`{"template":"small"%s}`, config))
}

// until returns the first audit event, seen before or arriving now, that
// match accepts.
func (e env) until(t testing.TB, what string, match func(event.Event) bool) event.Event {
	t.Helper()
	for _, ev := range *e.seen {
		if match(ev) {
			return ev
		}
	}
	deadline := time.After(wait)
	for {
		select {
		case ev := <-e.Audit:
			*e.seen = append(*e.seen, ev)
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within %v", what, wait)
			return event.Event{}
		}
	}
}

func of(typ, requestID string) func(event.Event) bool {
	return func(ev event.Event) bool {
		return ev.Type() == typ && ev.Extensions()[events.ExtRequestID] == requestID
	}
}

func clusterState(requestID, state string) func(event.Event) bool {
	return func(ev event.Event) bool {
		sc, err := events.DecodeClusterStateChange(ev)
		return err == nil && sc.RequestID == requestID && sc.State == state
	}
}

func jobState(requestID, state string) func(event.Event) bool {
	return func(ev event.Event) bool {
		sc, err := events.DecodeStateChange(ev)
		return err == nil && sc.RequestID == requestID && sc.State == state
	}
}

// approved waits for the approval of a cluster request and returns it.
func (e env) approved(t testing.TB, req event.Event) events.ClusterDecision {
	t.Helper()
	ev := e.until(t, "the decision", func(ev event.Event) bool {
		return (ev.Type() == events.ClusterApproved || ev.Type() == events.ClusterDenied) && ev.Extensions()[events.ExtRequestID] == req.ID()
	})
	d, err := events.DecodeClusterDecision(ev)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type() != events.ClusterApproved {
		t.Fatalf("cluster request denied: %+v", d.Reasons)
	}
	return d
}

// inDataproc reports whether the local Dataproc has the cluster (listing
// as the broker's own account).
func (e env) inDataproc(t testing.TB, name string) bool {
	t.Helper()
	tok, _, err := e.stack.IAM.Mint(devstack.BrokerServiceAccount, []string{dataprocserver.CloudPlatformScope}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := clusterClient(t, e.stack.Dataproc.Addr())
	_, err = c.GetCluster(context.Background(), getCluster(name), bearerOpts(tok)...)
	return err == nil
}
