package cluster_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// TestClusterDenials: each bad request is refused with a reason naming the
// field and the cap at fault, and nothing is recorded or created for it.
func TestClusterDenials(t *testing.T) {
	e := start(t)
	for _, c := range []struct {
		name, config, code, field, cap string
	}{
		{"over the workers cap", `,"config":{"workers":{"count":9}}`, "cluster_workers_exceeded", "config.workers.count", "max_workers: 4"},
		{"a public IP", `,"config":{"internal_ip_only":false}`, "cluster_public_ip", "config.internal_ip_only", "internal_ip_only: true"},
		{"a foreign service account", `,"config":{"service_account":"data-owner@iis-dev.iam.gserviceaccount.com"}`,
			"cluster_service_account_not_allowed", "config.service_account", "the role's service_account etl-runner@iis-dev.iam.gserviceaccount.com"},
		{"a TTL over the cap", `,"config":{"auto_delete_ttl":"24h"}`, "cluster_ttl_exceeded", "config.auto_delete_ttl", "max_auto_delete_ttl: 8h0m0s"},
		{"a property outside the allowlist", `,"config":{"properties":{"core:fs.gs.auth.type":"x"}}`, "cluster_property_not_allowed",
			`config.properties["core:fs.gs.auth.type"]`, "properties: (none)"},
	} {
		req := e.cluster(t, "alice@example.com", c.config)
		ev := e.until(t, c.name, of(events.ClusterDenied, req.ID()))
		d, err := events.DecodeClusterDecision(ev)
		if err != nil {
			t.Fatal(err)
		}
		r := d.Reasons[len(d.Reasons)-1]
		if r.Code != c.code || r.Field != c.field || r.Cap != c.cap {
			t.Errorf("%s: reason %+v, want %s on %s (%s)", c.name, r, c.code, c.field, c.cap)
		}
		err = e.Broker.Store.View(e.Ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.GetCluster(ctx, req.ID())
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: a denied request has a cluster record (%v)", c.name, err)
		}
	}
	unknown := e.publish(t, events.ClusterRequested, "alice@example.com", `{"template":"huge"}`)
	d, _ := events.DecodeClusterDecision(e.until(t, "unknown template", of(events.ClusterDenied, unknown.ID())))
	if r := d.Reasons[len(d.Reasons)-1]; r.Code != "cluster_template_not_allowed" || r.Field != "template" || r.Cap != "templates: small" {
		t.Errorf("unknown template: %+v", r)
	}
	stranger := e.cluster(t, "mallory@example.com", "")
	d, _ = events.DecodeClusterDecision(e.until(t, "stranger", of(events.ClusterDenied, stranger.ID())))
	if d.Reasons[0].Code != "principal_unknown" || d.Input.Stage != "directory" {
		t.Errorf("a stranger's request: %+v at %s", d.Reasons, d.Input.Stage)
	}
	if n := e.stack.Dataproc.Counts().CreateCluster; n != 0 {
		t.Errorf("%d CreateCluster calls for denied requests", n)
	}
}

// TestClusterRedelivered: one request delivered three times at once
// creates one cluster: one decision, one credential, one cluster.created.
func TestClusterRedelivered(t *testing.T) {
	e := start(t)
	req, err := events.NewFromJSON(events.ClusterRequested, "//test/dup", []byte(`{"id_token":"`+e.stack.Token("alice@example.com")+`","template":"small"}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { e.Publish(e.Config.Topology.Requests, m) })
	}
	wg.Wait()
	e.until(t, "RUNNING", clusterState(req.ID(), "RUNNING"))
	time.Sleep(200 * time.Millisecond) // let the duplicates finish (they find the cluster recorded)
	counts := map[string]int{}
	for _, ev := range e.Trail(req.ID()) {
		counts[ev.Type()]++
	}
	for _, typ := range []string{events.ClusterApproved, events.CredentialIssued, events.ClusterCreated} {
		if counts[typ] != 1 {
			t.Errorf("%d %s in the trail, want 1 (%v)", counts[typ], typ, counts)
		}
	}
	key := store.EventKey(req.Source(), req.ID())
	if n := e.stack.Dataproc.CreatedFor(dataproc.ID(key)); n != 1 {
		t.Errorf("Dataproc created %d clusters for the request, want 1", n)
	}
	if n := e.stack.Dataproc.Counts().ClustersCreated; n != 1 {
		t.Errorf("Dataproc created %d clusters in all, want 1", n)
	}
}

// TestLeaverClustersAndBindings: a leaver's clusters are deleted and their
// bindings removed in the cascade, listed in access.revoked.
func TestLeaverClustersAndBindings(t *testing.T) {
	e := start(t)
	r1, r2 := e.cluster(t, "erin@example.com", ""), e.cluster(t, "erin@example.com", "")
	kept := e.cluster(t, "alice@example.com", "")
	for _, r := range []event.Event{r1, r2, kept} {
		e.until(t, "RUNNING", clusterState(r.ID(), "RUNNING"))
	}
	acc := e.publish(t, events.AccessRequested, "erin@example.com", `{"cluster_request_id":"`+r1.ID()+`","view":"ui"}`)
	granted, _ := events.DecodeAccessGrant(e.until(t, "access.granted", of(events.AccessGranted, acc.ID())))
	scim := e.SCIM()
	e.SCIMDeactivate(scim, e.SCIMUserID(scim, "erin@example.com"))
	rev, err := events.DecodeRevocation(e.until(t, "access.revoked", func(ev event.Event) bool { return ev.Type() == events.AccessRevoked }))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, a := range rev.Actions {
		if a.Outcome != events.ActionSucceeded {
			t.Errorf("action %+v did not succeed", a)
		}
		kinds[a.Kind]++
	}
	if kinds[events.ActionDeleteCluster] != 2 || kinds[events.ActionRemoveBinding] != 1 {
		t.Errorf("access.revoked actions %v, want 2 cluster deletions and 1 binding removal", kinds)
	}
	for _, r := range []event.Event{r1, r2} {
		gone, _ := events.DecodeClusterDeletion(e.until(t, "cluster.deleted", of(events.ClusterDeleted, r.ID())))
		if gone.Reason != events.DeletedLeaver || e.inDataproc(t, gone.Cluster) {
			t.Errorf("%s: deleted %+v (still in Dataproc: %v)", r.ID(), gone, e.inDataproc(t, gone.Cluster))
		}
	}
	if bs := e.stack.Dataproc.Bindings(granted.Resource, time.Now()); len(bs) != 0 {
		t.Errorf("erin's binding is still honoured: %v", bs)
	}
	for _, ev := range e.Trail(kept.ID()) {
		if ev.Type() == events.ClusterDeleted || ev.Type() == events.ClusterStateChanged && ev.Extensions()[events.ExtCausationID] == rev.Trigger.EventID {
			t.Errorf("alice's cluster was touched by erin's cascade: %s", ev.Type())
		}
	}
}

// TestClusterCreatedWhileOwnerLeaves: the owner leaves while Dataproc is
// creating the cluster (the cascade finds the approved cluster, which
// Dataproc does not know yet); the cluster that then comes up is deleted.
func TestClusterCreatedWhileOwnerLeaves(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if _, ok := req.(*dataprocpb.CreateClusterRequest); ok {
			once.Do(func() { close(entered) })
			<-release
		}
		return h(ctx, req)
	}
	e := start(t, func(c *devstack.Config) { c.DataprocInterceptors = append(c.DataprocInterceptors, hold) })
	req := e.cluster(t, "erin@example.com", "")
	<-entered
	scim := e.SCIM()
	e.SCIMDeactivate(scim, e.SCIMUserID(scim, "erin@example.com"))
	rev, _ := events.DecodeRevocation(e.until(t, "access.revoked", func(ev event.Event) bool { return ev.Type() == events.AccessRevoked }))
	var a events.RevokeAction
	for _, x := range rev.Actions {
		if x.Kind == events.ActionDeleteCluster {
			a = x
		}
	}
	if a.Outcome != events.ActionDeferred {
		t.Errorf("the cascade's delete of a cluster being created: %+v, want deferred", a)
	}
	close(release)
	gone, _ := events.DecodeClusterDeletion(e.until(t, "cluster.deleted", of(events.ClusterDeleted, req.ID())))
	if gone.Reason != events.DeletedLeaver {
		t.Errorf("deleted %+v, want reason leaver", gone)
	}
	if e.inDataproc(t, gone.Cluster) {
		t.Error("the cluster created while its owner left is still in Dataproc")
	}
	if _, err := events.DecodeClusterCreation(e.until(t, "cluster.created", of(events.ClusterCreated, req.ID()))); err != nil {
		t.Error(err)
	}
}
