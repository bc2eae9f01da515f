package cluster

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/iamserver"
)

const brokerSA = "iis-broker@iis-dev.iam.gserviceaccount.com"

const runsAs = "etl-runner@iis-dev.iam.gserviceaccount.com"

// rig is a watcher on its own store, the local IAM and Dataproc servers on
// one manual clock, and a Submitter playing the workers.
type rig struct {
	clock  *dataprocserver.ManualClock
	st     store.Store
	h      *Handler
	w      *Watcher
	sub    *dataproc.Submitter
	minter *credentials.Minter
	ctx    context.Context
}

func newRig(t *testing.T, cfg dataprocserver.Config) *rig {
	t.Helper()
	ctx := context.Background()
	clock := dataprocserver.NewManualClock(time.Now())
	iam, err := iamserver.Start(ctx, "127.0.0.1:0", iamserver.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iam.Close() })
	cfg.Tokens, cfg.Clock, cfg.Admins = iam, clock, []string{brokerSA}
	cfg.ClusterTiming = dataprocserver.ClusterTiming{Create: time.Minute, Delete: time.Minute}
	dp, err := dataprocserver.Start(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dp.Close() })
	ic, err := credentials.NewClient(ctx, credentials.ClientConfig{Endpoint: iam.Addr(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ic.Close() })
	minter, err := credentials.New(credentials.Config{}, ic)
	if err != nil {
		t.Fatal(err)
	}
	clients, err := dataproc.NewClients(dataproc.ClientConfig{Endpoint: dp.Addr(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { clients.Close() })
	sub, err := dataproc.New(dataproc.Config{Clients: clients, LabelKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.SQLite(t)
	h := &Handler{Store: st, Audit: audit.Log{Topic: "audit"}, Dataproc: sub, Caller: minting{iam},
		Source: "//test", Now: clock.Now}
	w, err := NewWatcher(WatchConfig{}, h)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{clock: clock, st: st, h: h, w: w, sub: sub, minter: minter, ctx: ctx}
}

// approve records an approval and its cluster, as decide does.
func (r *rig) approve(t *testing.T, id string) store.Cluster {
	t.Helper()
	key := store.EventKey("//test", id)
	cl := dataproc.ExpectedCluster(key, "iis-dev", "europe-west1")
	two, one := 2, 1
	ip, no := true, false
	spec, _ := json.Marshal(storedSpec{Config: events.ClusterConfig{
		Master: &events.NodeGroup{Count: &one, MachineType: "n2-standard-4"}, Workers: &events.NodeGroup{Count: &two, MachineType: "n2-standard-4"},
		SecondaryWorkers: &events.NodeGroup{Count: new(int)}, ImageVersion: "2.2-debian12", IdleDeleteTTL: "30m0s", AutoDeleteTTL: "4h0m0s",
		InternalIPOnly: &ip, ServiceAccount: runsAs, PersonalAuth: &no, ComponentGateway: &no}})
	c := store.Cluster{RequestID: id, RequestKey: key, Principal: "alice@example.com", Role: "etl", Template: "small", ServiceAccount: runsAs,
		Project: "iis-dev", Region: "europe-west1", Name: cl.Name, Resource: cl.Resource, DataprocRequestID: cl.DataprocRequestID,
		Spec: string(spec), State: store.ClusterApproved, NextPollAt: r.clock.Now(), LastEventID: "ev-approved-" + id}
	err := r.st.Update(r.ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.RecordDecision(ctx, store.Decision{RequestKey: key, RequestID: id, Principal: c.Principal,
			Outcome: store.OutcomeApproved, Role: "etl", ServiceAccount: runsAs, DecidedAt: r.clock.Now()}); err != nil {
			return err
		}
		return tx.PutCluster(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createAsWorker creates the approved cluster as a worker would, without
// recording it (the worker died before it could).
func (r *rig) createAsWorker(t *testing.T, c store.Cluster) {
	t.Helper()
	cred, err := r.minter.Mint(r.ctx, runsAs, 0)
	if err != nil {
		t.Fatal(err)
	}
	var s storedSpec
	json.Unmarshal([]byte(c.Spec), &s)
	if _, err := r.sub.CreateCluster(r.ctx, cred, dataproc.ClusterRequest{Key: c.RequestKey, RequestID: c.RequestID, Principal: c.Principal,
		Role: c.Role, Project: c.Project, Region: c.Region, Config: toDataproc(s)}); err != nil {
		t.Fatal(err)
	}
}

// minting is the broker's own credential, minted afresh on the manual
// clock for every call.
type minting struct{ iam *iamserver.Server }

func (m minting) AccessToken() string {
	tok, _, err := m.iam.Mint(brokerSA, []string{dataprocserver.CloudPlatformScope}, time.Hour)
	if err != nil {
		return ""
	}
	return tok
}

func (r *rig) poll(t *testing.T) {
	t.Helper()
	if _, err := r.w.Poll(r.ctx); err != nil {
		t.Fatalf("Poll = %v", err)
	}
}

func (r *rig) get(t *testing.T, id string) store.Cluster {
	t.Helper()
	var c store.Cluster
	err := r.st.View(r.ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		c, err = tx.GetCluster(ctx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// step moves the clock and polls until the cluster's state is want.
func (r *rig) step(t *testing.T, id string, d time.Duration, want string) store.Cluster {
	t.Helper()
	r.clock.Advance(d)
	for range 10 {
		r.poll(t)
		if c := r.get(t, id); c.State == want {
			return c
		}
		r.clock.Advance(r.w.cfg.Lease) // whatever is claimed becomes due
	}
	c := r.get(t, id)
	t.Fatalf("cluster %s: state %s (delete %q), want %s", id, c.State, c.DeleteReason, want)
	return c
}

func (r *rig) trail(t *testing.T, id string) []string {
	t.Helper()
	if _, err := audit.Sequence(r.ctx, r.st, 0); err != nil { // chain what has committed
		t.Fatal(err)
	}
	recs, err := r.st.AuditTrail(r.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range recs {
		ev, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Extensions()[events.ExtRequestID] != id {
			continue
		}
		s := ev.Type()
		if sc, err := events.DecodeClusterStateChange(ev); err == nil {
			s += ":" + sc.State
		}
		if d, err := events.DecodeClusterDeletion(ev); err == nil {
			s += ":" + d.Reason
		}
		out = append(out, s)
	}
	return out
}

// TestWatcherAdoptsAndExpires: a cluster a worker created and never
// recorded is adopted; when Dataproc does not delete it at its TTL the
// broker does.
func TestWatcherAdoptsAndExpires(t *testing.T) {
	r := newRig(t, dataprocserver.Config{IgnoreLifecycle: true})
	c := r.approve(t, "r1")
	r.createAsWorker(t, c)
	adopted := r.step(t, "r1", 0, "CREATING")
	if adopted.UUID == "" || adopted.AutoDeleteAt.IsZero() {
		t.Errorf("adopted %+v: no uuid or end", adopted)
	}
	r.step(t, "r1", time.Minute, "RUNNING")
	r.step(t, "r1", 4*time.Hour+2*time.Minute, "DELETING")
	gone := r.step(t, "r1", time.Minute, store.ClusterDeleted)
	if gone.DeleteReason != events.DeletedExpired || !gone.Ended {
		t.Errorf("at its end: %+v, want ended, deleted for expiry", gone)
	}
	want := []string{events.ClusterCreated, events.ClusterStateChanged + ":RUNNING", events.ClusterStateChanged + ":DELETING",
		events.ClusterDeleted + ":" + events.DeletedExpired}
	if got := r.trail(t, "r1"); !equal(got, want) {
		t.Errorf("trail %v, want %v", got, want)
	}
}

// TestWatcherEndsNeverCreated: an approval whose creation never came is
// ended as NOT_CREATED once abandoned, not before.
func TestWatcherEndsNeverCreated(t *testing.T) {
	r := newRig(t, dataprocserver.Config{})
	r.approve(t, "r2")
	r.poll(t)
	if c := r.get(t, "r2"); c.Ended {
		t.Fatalf("ended at once: %+v", c)
	}
	c := r.step(t, "r2", r.h.abandonAfter()+time.Minute, store.ClusterNotCreated)
	if !c.Ended {
		t.Errorf("%+v not ended", c)
	}
	if got := r.trail(t, "r2"); !equal(got, []string{events.ClusterStateChanged + ":" + store.ClusterNotCreated}) {
		t.Errorf("trail %v", got)
	}
}

// TestWatcherDeletesFailedAndDataprocTTL: a cluster in ERROR is deleted;
// one Dataproc deletes at its TTL ends as dataproc_lifecycle.
func TestWatcherDeletesFailedAndDataprocTTL(t *testing.T) {
	r := newRig(t, dataprocserver.Config{ClusterFailure: func(w dataprocserver.Workload) string {
		if w.ID == dataproc.ClusterName(store.EventKey("//test", "bad")) {
			return "Insufficient 'N2_CPUS' quota"
		}
		return ""
	}})
	for _, id := range []string{"bad", "ttl"} {
		r.createAsWorker(t, r.approve(t, id))
		r.step(t, id, 0, "CREATING")
	}
	r.step(t, "bad", time.Minute, "DELETING")
	if c := r.step(t, "bad", time.Minute, store.ClusterDeleted); c.DeleteReason != events.DeletedFailed {
		t.Errorf("an ERROR cluster: %+v, want deleted as failed", c)
	}
	want := []string{events.ClusterCreated, events.ClusterStateChanged + ":ERROR", events.ClusterStateChanged + ":DELETING",
		events.ClusterDeleted + ":" + events.DeletedFailed}
	if got := r.trail(t, "bad"); !equal(got, want) {
		t.Errorf("trail %v, want %v", got, want)
	}
	r.step(t, "ttl", 0, "RUNNING")
	if c := r.step(t, "ttl", 31*time.Minute+time.Minute, store.ClusterDeleted); c.DeleteReason != events.DeletedLifecycle {
		t.Errorf("a cluster Dataproc deleted when idle: %+v, want dataproc_lifecycle", c)
	}
}

// TestWatcherDeletesOnceCreated: a delete asked while Dataproc was still
// creating the cluster (deferred) is done when it can be.
func TestWatcherDeletesOnceCreated(t *testing.T) {
	r := newRig(t, dataprocserver.Config{})
	c := r.approve(t, "r3")
	r.createAsWorker(t, c)
	c = r.step(t, "r3", 0, "CREATING")
	if err := r.h.deleteNow(r.ctx, markDelete(t, r, c)); err != nil {
		t.Fatalf("deleteNow(CREATING) = %v, want it left to the watcher", err)
	}
	if got := r.get(t, "r3"); got.State != "CREATING" || got.DeleteReason != events.DeletedRequested {
		t.Fatalf("after a refused delete: %+v", got)
	}
	r.step(t, "r3", time.Minute, "DELETING")
	if got := r.step(t, "r3", time.Minute, store.ClusterDeleted); got.DeleteReason != events.DeletedRequested {
		t.Errorf("%+v", got)
	}
}

func markDelete(t *testing.T, r *rig, c store.Cluster) store.Cluster {
	t.Helper()
	c.DeleteReason, c.DeleteCause = events.DeletedRequested, "ev-delete"
	if err := r.st.Update(r.ctx, func(ctx context.Context, tx store.Tx) error { return tx.PutCluster(ctx, c) }); err != nil {
		t.Fatal(err)
	}
	return c
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
