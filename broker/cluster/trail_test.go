package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/events"
)

// TestClusterTrail is the README's walk-through: a cluster requested,
// created and RUNNING; a job on it; its owner's logs opened for a while,
// the binding in the cluster's IAM policy, then gone at expiry; another
// principal's job refused on it; the cluster deleted on request. Then
// the causation rule on every record (as TestTrailCausation does for
// jobs), and the causal chains of the cluster and the access trails.
func TestClusterTrail(t *testing.T) {
	e := start(t)
	published := map[string]bool{}
	req := e.cluster(t, "alice@example.com", "")
	published[req.ID()] = true
	d := e.approved(t, req)
	if d.Config == nil || d.Config.ServiceAccount != "etl-runner@iis-dev.iam.gserviceaccount.com" || d.Config.AutoDeleteTTL != "4h0m0s" {
		t.Errorf("approved configuration = %+v", d.Config)
	}
	e.until(t, "RUNNING", clusterState(req.ID(), "RUNNING"))
	created, _ := events.DecodeClusterCreation(e.until(t, "cluster.created", of(events.ClusterCreated, req.ID())))
	if created.Cluster != d.Cluster || created.ClusterUUID == "" {
		t.Errorf("created %+v, approved cluster %s", created, d.Cluster)
	}

	job := e.publish(t, events.JobRequested, "alice@example.com", fmt.Sprintf(
		`{"target":{"project":"iis-dev","region":"europe-west1","cluster":%q},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`, d.Cluster))
	published[job.ID()] = true
	e.until(t, "the job's end", jobState(job.ID(), "SUCCEEDED"))

	other := e.publish(t, events.JobRequested, "bob@example.com", fmt.Sprintf(
		`{"target":{"project":"iis-dev","region":"europe-west1","cluster":%q},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`, d.Cluster))
	published[other.ID()] = true
	denied, _ := events.DecodeJobDecision(e.until(t, "bob's denial", of(events.JobDenied, other.ID())))
	if len(denied.Reasons) != 1 || denied.Reasons[0].Code != request.ReasonClusterNotOwned {
		t.Errorf("bob's job on alice's cluster: reasons %+v, want %s", denied.Reasons, request.ReasonClusterNotOwned)
	}

	acc := e.publish(t, events.AccessRequested, "alice@example.com", fmt.Sprintf(`{"job_request_id":%q,"view":"logs","duration":"3s"}`, job.ID()))
	published[acc.ID()] = true
	granted, _ := events.DecodeAccessGrant(e.until(t, "access.granted", of(events.AccessGranted, acc.ID())))
	if granted.Member != "user:alice@example.com" || granted.IAMRole != "roles/dataproc.viewer" || granted.Resource != created.Resource ||
		!strings.HasPrefix(granted.Condition.Expression, `request.time < timestamp("`) || granted.Attempts < 1 {
		t.Errorf("granted %+v", granted)
	}
	if bs := e.stack.Dataproc.Bindings(created.Resource, granted.ExpiresAt.Add(-time.Millisecond)); len(bs) != 1 || bs[0].GetMembers()[0] != granted.Member {
		t.Errorf("bindings IAM honours before the expiry = %v, want alice's", bs)
	}
	exp, _ := events.DecodeAccessExpiry(e.until(t, "access.expired", of(events.AccessExpired, acc.ID())))
	if exp.Outcome != events.BindingRemoved {
		t.Errorf("expired %+v, want the binding removed", exp)
	}
	if bs := e.stack.Dataproc.Bindings(created.Resource, granted.ExpiresAt.Add(-time.Millisecond)); len(bs) != 0 {
		t.Errorf("the cluster's policy still holds %v after the expiry", bs)
	}

	del := e.publish(t, events.ClusterDeleteRequested, "alice@example.com", fmt.Sprintf(`{"request_id":%q,"reason":"done"}`, req.ID()))
	published[del.ID()] = true
	gone, _ := events.DecodeClusterDeletion(e.until(t, "cluster.deleted", of(events.ClusterDeleted, req.ID())))
	if gone.Reason != events.DeletedRequested || e.inDataproc(t, d.Cluster) {
		t.Errorf("deleted %+v; still in Dataproc: %v", gone, e.inDataproc(t, d.Cluster))
	}

	all := allRecords(t, e)
	seen := map[string]event.Event{}
	for _, ev := range all {
		cause, _ := ev.Extensions()[events.ExtCausationID].(string)
		reqID, _ := ev.Extensions()[events.ExtRequestID].(string)
		switch spec, _ := events.Lookup(ev.Type()); {
		case spec.Channel == events.ChannelIdentity || ev.Type() == events.AccessDriftFound:
			if cause != "" {
				t.Errorf("%s (a trigger) names cause %s", ev.Type(), cause)
			}
		case cause == "":
			t.Errorf("%s %s names no cause", ev.Type(), ev.ID())
		case seen[cause].ID() == "" && !published[cause]:
			t.Errorf("%s %s names cause %s, neither an earlier record nor a request", ev.Type(), ev.ID(), cause)
		}
		if reqID == "" && ev.Type() != events.AccessRevoked {
			t.Errorf("%s %s carries no requestid", ev.Type(), ev.ID())
		}
		seen[ev.ID()] = ev
	}
	for id, want := range map[string]string{
		req.ID(): "cluster.approved<-request credential.issued<-cluster.approved cluster.created<-credential.issued " +
			"cluster.state_changed:RUNNING<-cluster.created cluster.state_changed:DELETING<-cluster.delete_requested " +
			"cluster.deleted<-cluster.state_changed:DELETING",
		acc.ID(): "access.approved<-request access.granted<-access.approved access.expired<-access.granted",
	} {
		if got := chain(seen, published, e.Trail(id)); got != want {
			t.Errorf("causal chain of %s:\n got %s\nwant %s", id, got, want)
		}
	}
}

// allRecords decodes the whole audit chain, in chain order.
func allRecords(t *testing.T, e env) []event.Event {
	t.Helper()
	if _, err := audit.Sequence(e.Ctx, e.Broker.Store, 0); err != nil { // chain what has committed
		t.Fatal(err)
	}
	recs, err := e.Broker.Store.AuditTrail(e.Ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	for _, r := range recs {
		ev, err := events.Decode(events.Message{Data: r.Data, Attributes: r.Attributes})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// chain renders each event of a trail with its cause.
func chain(byID map[string]event.Event, published map[string]bool, trail []event.Event) string {
	name := func(e event.Event) string {
		s := strings.TrimSuffix(strings.TrimPrefix(e.Type(), events.Prefix+"."), ".v1")
		if sc, err := events.DecodeClusterStateChange(e); err == nil {
			s += ":" + sc.State
		}
		return s
	}
	var parts []string
	for _, e := range trail {
		cause, _ := e.Extensions()[events.ExtCausationID].(string)
		what := fmt.Sprintf("unknown(%s)", cause)
		switch c, ok := byID[cause]; {
		case ok:
			what = name(c)
		case cause == e.Extensions()[events.ExtRequestID]:
			what = "request"
		case published[cause]:
			what = "cluster.delete_requested"
		}
		parts = append(parts, name(e)+"<-"+what)
	}
	return strings.Join(parts, " ")
}
