package access_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/genproto/googleapis/type/expr"

	"github.com/dataproc-iis/iis/broker/access"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

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
`

const wait = 20 * time.Second

type env struct {
	*brokertest.Env
	stack *brokertest.Stack
	seen  *[]event.Event
}

func start(t *testing.T) env {
	t.Helper()
	stack := brokertest.NewStack(t, policyYAML, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: 200 * time.Millisecond})
	e := brokertest.New(t, stack.Option())
	e.ImportDirectory(directoryYAML)
	e.Start()
	return env{Env: e, stack: stack, seen: new([]event.Event)}
}

func (e env) publish(t *testing.T, typ, who, data string) event.Event {
	t.Helper()
	data = strings.Replace(data, "{", `{"id_token":"`+e.stack.Token(who)+`",`, 1)
	ev, err := events.NewFromJSON(typ, "//test/"+who, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	e.PublishEvent(ev)
	return ev
}

func (e env) until(t *testing.T, what string, match func(event.Event) bool) event.Event {
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

// running creates a cluster for who and waits until it runs.
func (e env) running(t *testing.T, who string) (event.Event, events.ClusterCreation) {
	t.Helper()
	req := e.publish(t, events.ClusterRequested, who, `{"template":"small"}`)
	e.until(t, "RUNNING", func(ev event.Event) bool {
		sc, err := events.DecodeClusterStateChange(ev)
		return err == nil && sc.RequestID == req.ID() && sc.State == "RUNNING"
	})
	c, err := events.DecodeClusterCreation(e.until(t, "cluster.created", of(events.ClusterCreated, req.ID())))
	if err != nil {
		t.Fatal(err)
	}
	return req, c
}

func TestAccessDenials(t *testing.T) {
	e := start(t)
	cl, _ := e.running(t, "alice@example.com")
	batch := e.publish(t, events.JobRequested, "alice@example.com",
		`{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`)
	e.until(t, "the batch's end", func(ev event.Event) bool {
		sc, err := events.DecodeStateChange(ev)
		return err == nil && sc.RequestID == batch.ID() && sc.Ended
	})
	for _, c := range []struct{ name, who, data, code string }{
		{"someone else's cluster", "bob@example.com", `{"cluster_request_id":%q,"view":"logs"}`, policy.CodeAccessOwner},
		{"longer than the view allows", "alice@example.com", `{"cluster_request_id":%q,"view":"ui","duration":"2h"}`, policy.CodeAccessDuration},
		{"no such cluster", "alice@example.com", `{"cluster_request_id":"nope-%s","view":"logs"}`, access.ReasonClusterNotFound},
		{"a Serverless batch", "alice@example.com", `{"job_request_id":%q,"view":"logs"}`, access.ReasonClusterNotFound},
		{"a stranger", "mallory@example.com", `{"cluster_request_id":%q,"view":"logs"}`, "principal_unknown"},
	} {
		id := cl.ID()
		if c.name == "a Serverless batch" {
			id = batch.ID()
		}
		req := e.publish(t, events.AccessRequested, c.who, fmt.Sprintf(c.data, id))
		d, _ := events.DecodeAccessDecision(e.until(t, c.name, of(events.AccessDenied, req.ID())))
		if len(d.Reasons) == 0 || d.Reasons[len(d.Reasons)-1].Code != c.code {
			t.Errorf("%s: reasons %+v, want %s", c.name, d.Reasons, c.code)
		}
	}
	e.publish(t, events.ClusterDeleteRequested, "alice@example.com", `{"request_id":"`+cl.ID()+`"}`)
	e.until(t, "cluster.deleted", of(events.ClusterDeleted, cl.ID()))
	late := e.publish(t, events.AccessRequested, "alice@example.com", `{"cluster_request_id":"`+cl.ID()+`","view":"logs"}`)
	d, _ := events.DecodeAccessDecision(e.until(t, "a deleted cluster", of(events.AccessDenied, late.ID())))
	if d.Reasons[0].Code != access.ReasonClusterNotRunning {
		t.Errorf("access to a deleted cluster: %+v", d.Reasons)
	}
	if n := e.stack.Dataproc.Counts().SetIamPolicy; n != 0 {
		t.Errorf("%d SetIamPolicy calls for denied requests", n)
	}
}

// TestAccessDrift: a binding with the broker's title that no grant backs
// is removed and reported; a granted binding someone removed is reported.
func TestAccessDrift(t *testing.T) {
	e := start(t)
	cl, created := e.running(t, "alice@example.com")
	acc := e.publish(t, events.AccessRequested, "alice@example.com", `{"cluster_request_id":"`+cl.ID()+`","view":"logs","duration":"1h"}`)
	granted, _ := events.DecodeAccessGrant(e.until(t, "access.granted", of(events.AccessGranted, acc.ID())))

	// Someone with setIamPolicy rights adds a lookalike and removes alice's.
	sub := e.submitter(t)
	caller := e.brokerCaller(t)
	handle := dataproc.Cluster{Project: "iis-dev", Region: "europe-west1", Name: created.Cluster, Resource: created.Resource}
	if _, err := sub.AddBinding(context.Background(), caller, handle, dataproc.Binding{Role: "roles/dataproc.editor",
		Member: "user:mallory@example.com", Title: "iis-forged", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if removed, err := sub.RemoveBindings(context.Background(), caller, handle, granted.Condition.Title); err != nil || len(removed) != 1 {
		t.Fatalf("RemoveBindings = %v, %v", removed, err)
	}
	// The unbacked binding is removed at once; the missing one is reported
	// once a second round sees it missing too.
	got := map[string]events.DriftFinding{}
	e.until(t, "both drift findings", func(ev event.Event) bool {
		d, err := events.DecodeAccessDrift(ev)
		if err != nil || ev.Extensions()[events.ExtRequestID] != cl.ID() {
			return false
		}
		for _, f := range d.Findings {
			if _, dup := got[f.Kind]; dup {
				t.Errorf("finding %s reported twice", f.Kind)
			}
			got[f.Kind] = f
		}
		return len(got) == 2
	})
	if f := got[events.DriftUnbacked]; f.Member != "user:mallory@example.com" || f.Action != events.DriftRemoved || f.ConditionTitle != "iis-forged" {
		t.Errorf("unbacked finding = %+v", f)
	}
	if f := got[events.DriftMissing]; f.Member != granted.Member || f.Action != events.DriftReported || f.RequestID != acc.ID() {
		t.Errorf("missing finding = %+v", f)
	}
	if bs := e.stack.Dataproc.Bindings(created.Resource, time.Now()); len(bs) != 0 {
		t.Errorf("after the reconciler: %v still in the policy", bs)
	}
}

// TestReconcilerRemovesAtExpiry: the expiry is removed from IAM even when
// the broker's IAM write conflicts with another writer's (etag retry).
func TestReconcilerRemovesAtExpiry(t *testing.T) {
	e := start(t)
	cl, created := e.running(t, "bob@example.com")
	acc := e.publish(t, events.AccessRequested, "bob@example.com", `{"cluster_request_id":"`+cl.ID()+`","view":"ui","duration":"3s"}`)
	e.until(t, "access.granted", of(events.AccessGranted, acc.ID()))
	// A concurrent writer keeps adding its own (non-broker) bindings, from
	// before the expiry until 3s after it: the broker's removals conflict
	// with it, and on a loaded machine could lose every race while it runs.
	stop := make(chan struct{})
	done := make(chan struct{})
	until := time.Now().Add(6 * time.Second)
	go func() {
		defer close(done)
		client := e.iamClient(t)
		for i := 0; time.Now().Before(until); i++ {
			select {
			case <-stop:
				return
			default:
			}
			p, err := client.GetIamPolicy(context.Background(), &iampb.GetIamPolicyRequest{Resource: created.Resource,
				Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}}, e.adminOpts(t)...)
			if err != nil {
				continue
			}
			p.Version = 3
			p.Bindings = append(p.Bindings, &iampb.Binding{Role: "roles/dataproc.viewer", Members: []string{fmt.Sprintf("user:auditor%d@example.com", i)},
				Condition: &expr.Expr{Title: fmt.Sprintf("audit-%d", i), Expression: `request.time < timestamp("2099-01-01T00:00:00Z")`}})
			client.SetIamPolicy(context.Background(), &iampb.SetIamPolicyRequest{Resource: created.Resource, Policy: p}, e.adminOpts(t)...)
			time.Sleep(2 * time.Millisecond) // pacing the other writer, not waiting for an outcome
		}
	}()
	exp, _ := events.DecodeAccessExpiry(e.until(t, "access.expired", of(events.AccessExpired, acc.ID())))
	close(stop)
	<-done
	if exp.Outcome != events.BindingRemoved {
		t.Errorf("expired %+v", exp)
	}
	for _, b := range e.stack.Dataproc.Bindings(created.Resource, time.Time{}) {
		if b.GetCondition().GetTitle() == exp.ConditionTitle {
			t.Errorf("bob's binding is still in the policy: %v", b)
		}
	}
	if len(e.stack.Dataproc.Bindings(created.Resource, time.Time{})) == 0 {
		t.Error("the other writer's bindings are gone: the removal lost a concurrent write")
	}
}
