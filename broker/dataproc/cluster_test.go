package dataproc

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/grpc"

	"github.com/dataproc-iis/iis/broker/fault"
)

const vmSA = "explorer@iis-test.iam.gserviceaccount.com"

func clusterRequest(key string) ClusterRequest {
	return ClusterRequest{Key: key, RequestID: key, Principal: "alice@example.com", Role: "explorer", Project: project, Region: region,
		Labels: map[string]string{"team": "data"},
		Config: ClusterConfig{
			Master: NodeGroup{Count: 1, MachineType: "n2-standard-4"}, Workers: NodeGroup{Count: 2, MachineType: "n2-standard-4"},
			ImageVersion: "2.2-debian12", IdleDeleteTTL: 30 * time.Minute, AutoDeleteTTL: 4 * time.Hour, InternalIPOnly: true,
			KMSKey: "projects/k/locations/l/keyRings/r/cryptoKeys/disks", NetworkTags: []string{"iis"}, ServiceAccount: vmSA,
			PersonalAuthUser: "alice@example.com", ComponentGateway: true, OptionalComponents: []string{"JUPYTER"},
		}}
}

func TestCreateCluster(t *testing.T) {
	e := newEnv(t, envConfig{})
	cred := e.mint(t, vmSA)
	req := clusterRequest("//src\x00c1")
	cl, err := e.sub.CreateCluster(e.ctx, cred, req)
	if err != nil {
		t.Fatalf("CreateCluster = %v", err)
	}
	again, err := e.sub.CreateCluster(e.ctx, e.mint(t, vmSA), req)
	if err != nil || again.Resource != cl.Resource || e.srv.CreatedFor(cl.DataprocRequestID) != 1 {
		t.Errorf("a redelivered CreateCluster = %+v, %v; %d clusters created, want 1", again, err, e.srv.CreatedFor(cl.DataprocRequestID))
	}
	if want := ExpectedCluster(req.Key, project, region); cl.Name != want.Name || cl.Resource != want.Resource || cl.UUID == "" || cl.Operation == "" {
		t.Errorf("CreateCluster = %+v, want the derived %+v with a uuid and an operation", cl, want)
	}
	raw := e.rawClusters(t)
	got, err := raw.GetCluster(e.ctx, &dataprocpb.GetClusterRequest{ProjectId: project, Region: region, ClusterName: cl.Name}, e.as(cred)...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := got.GetConfig()
	if cfg.GetGceClusterConfig().GetServiceAccount() != vmSA || !cfg.GetGceClusterConfig().GetInternalIpOnly() ||
		cfg.GetLifecycleConfig().GetIdleDeleteTtl().AsDuration() != 30*time.Minute || cfg.GetLifecycleConfig().GetAutoDeleteTtl().AsDuration() != 4*time.Hour ||
		cfg.GetEncryptionConfig().GetGcePdKmsKeyName() != req.Config.KMSKey || !cfg.GetEndpointConfig().GetEnableHttpPortAccess() ||
		cfg.GetSoftwareConfig().GetProperties()[personalAuthProperty] != "alice@example.com" {
		t.Errorf("the cluster's config = %v", cfg)
	}
	l := got.GetLabels()
	if l[LabelRequest] != RequestLabel(req.Key) || l[LabelRole] != "explorer" || l[LabelPrincipal] != e.sub.PrincipalLabel("alice@example.com") || l["team"] != "data" {
		t.Errorf("labels = %v", l)
	}

	broker := e.mint(t, brokerSA)
	if st, _, _, gone, err := e.sub.ClusterState(e.ctx, broker, cl); st != "CREATING" || gone || err != nil {
		t.Errorf("ClusterState = %s gone=%v %v, want CREATING", st, gone, err)
	}
	if err := e.sub.DeleteCluster(e.ctx, broker, cl); fault.ReasonOf(err) != ReasonBusy || fault.IsPermanent(err) {
		t.Errorf("DeleteCluster(CREATING) = %v, want transient %s", err, ReasonBusy)
	}
	listed, err := e.sub.PrincipalClusters(e.ctx, broker, project, region, "alice@example.com")
	if err != nil || len(listed) != 1 || listed[0].Name != cl.Name {
		t.Errorf("PrincipalClusters(alice) = %v, %v", listed, err)
	}
	if other, _ := e.sub.PrincipalClusters(e.ctx, broker, project, region, "bob@example.com"); len(other) != 0 {
		t.Errorf("PrincipalClusters(bob) = %v, want none", other)
	}
	e.clock.Advance(time.Minute)
	if st, _, _, _, _ := e.sub.ClusterState(e.ctx, broker, cl); st != "RUNNING" {
		t.Errorf("ClusterState after a minute = %s, want RUNNING", st)
	}
	if err := e.sub.DeleteCluster(e.ctx, broker, cl); err != nil {
		t.Fatalf("DeleteCluster = %v", err)
	}
	e.clock.Advance(time.Minute)
	if _, _, _, gone, err := e.sub.ClusterState(e.ctx, broker, cl); !gone || err != nil {
		t.Errorf("ClusterState after the delete = gone %v, %v", gone, err)
	}
	err = e.sub.DeleteCluster(e.ctx, broker, cl)
	if !Gone(err) || fault.ReasonOf(err) != ReasonGone || !fault.IsPermanent(err) {
		t.Errorf("DeleteCluster(gone) = %v, want a permanent %s *GoneError", err, ReasonGone)
	}
}

func TestCreateClusterRefusals(t *testing.T) {
	e := newEnv(t, envConfig{quota: 1})
	cred := e.mint(t, vmSA)
	noTTL := clusterRequest("//src\x00bad")
	noTTL.Config.AutoDeleteTTL = 0
	foreign := clusterRequest("//src\x00foreign")
	foreign.Config.ServiceAccount = otherSA
	reserved := clusterRequest("//src\x00label")
	reserved.Labels = map[string]string{"iis-role": "admin"}
	for name, req := range map[string]ClusterRequest{"no TTL": noTTL, "foreign service account": foreign, "reserved label": reserved} {
		if _, err := e.sub.CreateCluster(e.ctx, cred, req); fault.ReasonOf(err) != ReasonInvalidRequest || !fault.IsPermanent(err) {
			t.Errorf("CreateCluster(%s) = %v, want permanent %s", name, err, ReasonInvalidRequest)
		}
	}
	if _, err := e.sub.CreateCluster(e.ctx, cred, clusterRequest("//src\x00q1")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sub.CreateCluster(e.ctx, cred, clusterRequest("//src\x00q2")); fault.ReasonOf(err) != ReasonQuota || !fault.IsPermanent(err) {
		t.Errorf("CreateCluster over the quota = %v, want permanent %s", err, ReasonQuota)
	}
	if _, err := e.sub.CreateCluster(e.ctx, e.mint(t, otherSA), clusterRequest("//src\x00q3")); fault.ReasonOf(err) != ReasonInvalidRequest {
		t.Errorf("CreateCluster with another account's credential = %v, want %s", err, ReasonInvalidRequest)
	}
}

// TestConcurrentBindings: two writers adding bindings to one cluster's
// policy at once, each read slowed so that their read-modify-writes
// interleave, lose none: every stale write is Aborted and done again.
func TestConcurrentBindings(t *testing.T) {
	slow := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if _, ok := req.(*iampb.GetIamPolicyRequest); ok {
			resp, err := h(ctx, req)
			time.Sleep(3 * time.Millisecond) // the window another writer writes in
			return resp, err
		}
		return h(ctx, req)
	}
	e := newEnv(t, envConfig{dataproc: []grpc.UnaryServerInterceptor{slow}})
	cl, err := e.sub.CreateCluster(e.ctx, e.mint(t, vmSA), clusterRequest("//src\x00iam"))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	broker := e.mint(t, brokerSA)
	const per = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*per)
	for w := range 2 {
		wg.Go(func() {
			for i := range per {
				b := Binding{Role: "roles/dataproc.viewer", Member: fmt.Sprintf("user:u%d-%d@example.com", w, i),
					Title: fmt.Sprintf("iis-w%d-%d", w, i), Expires: time.Now().Add(time.Hour)}
				if _, err := e.sub.AddBinding(context.Background(), broker, cl, b); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("AddBinding = %v", err)
	}
	got, err := e.sub.Bindings(e.ctx, broker, cl)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, b := range got {
		titles = append(titles, b.Title)
	}
	slices.Sort(titles)
	if len(titles) != 2*per {
		t.Errorf("the policy holds %d bindings %v, want %d: a concurrent writer's binding was lost", len(titles), titles, 2*per)
	}
	if c := e.srv.Counts().IamConflicts; c == 0 {
		t.Error("no SetIamPolicy was refused for a stale etag: the writers did not overlap, the test proves nothing")
	}
	// Removing is the same read-modify-write; a title already gone is reported as such.
	removed, err := e.sub.RemoveBindings(e.ctx, broker, cl, "iis-w0-0", "iis-w1-1", "iis-never")
	if err != nil || len(removed) != 2 {
		t.Errorf("RemoveBindings = %v, %v, want the 2 that were there", removed, err)
	}
	if got, _ := e.sub.Bindings(e.ctx, broker, cl); len(got) != 2*per-2 {
		t.Errorf("after removing 2: %d bindings, want %d", len(got), 2*per-2)
	}
	if n, err := e.sub.AddBinding(e.ctx, broker, cl, Binding{Role: "roles/dataproc.viewer", Member: "user:u0-1@example.com", Title: "iis-w0-1", Expires: time.Now().Add(time.Hour)}); n != 1 || err != nil {
		t.Errorf("AddBinding(already there) = %d rounds, %v, want 1 round and no write", n, err)
	}
}
