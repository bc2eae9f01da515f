package dataprocserver

import (
	"context"
	"errors"
	"testing"
	"time"

	dataproc "cloud.google.com/go/dataproc/v2/apiv1"
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

const vmSA = "explorer@iis-test.iam.gserviceaccount.com"

func clusterClient(t *testing.T, e *env) *dataproc.ClusterControllerClient {
	t.Helper()
	c, err := dataproc.NewClusterControllerClient(context.Background(), option.WithEndpoint(e.srv.Addr()), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCluster(name string, idle, auto time.Duration) *dataprocpb.Cluster {
	lc := &dataprocpb.LifecycleConfig{}
	if idle > 0 {
		lc.IdleDeleteTtl = durationpb.New(idle)
	}
	if auto > 0 {
		lc.Ttl = &dataprocpb.LifecycleConfig_AutoDeleteTtl{AutoDeleteTtl: durationpb.New(auto)}
	}
	return &dataprocpb.Cluster{ClusterName: name, Labels: map[string]string{"iis-request": "r-" + name}, Config: &dataprocpb.ClusterConfig{
		GceClusterConfig: &dataprocpb.GceClusterConfig{ServiceAccount: vmSA},
		MasterConfig:     &dataprocpb.InstanceGroupConfig{NumInstances: 1, MachineTypeUri: "n2-standard-4"},
		WorkerConfig:     &dataprocpb.InstanceGroupConfig{NumInstances: 2, MachineTypeUri: "n2-standard-4"},
		LifecycleConfig:  lc,
		EndpointConfig:   &dataprocpb.EndpointConfig{EnableHttpPortAccess: true},
	}}
}

func wantCode(t *testing.T, what string, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Errorf("%s = %v, want %s", what, err, code)
	}
}

func (e *env) create(t *testing.T, c *dataproc.ClusterControllerClient, cl *dataprocpb.Cluster, requestID string, opts []gax.CallOption) *dataproc.CreateClusterOperation {
	t.Helper()
	op, err := c.CreateCluster(context.Background(), &dataprocpb.CreateClusterRequest{ProjectId: project, Region: region, Cluster: cl, RequestId: requestID}, opts...)
	if err != nil {
		t.Fatalf("CreateCluster(%s) = %v", cl.GetClusterName(), err)
	}
	return op
}

func (e *env) state(t *testing.T, c *dataproc.ClusterControllerClient, name string) (dataprocpb.ClusterStatus_State, error) {
	t.Helper()
	got, err := c.GetCluster(context.Background(), &dataprocpb.GetClusterRequest{ProjectId: project, Region: region, ClusterName: name}, e.as(t, brokerSA)...)
	return got.GetStatus().GetState(), err
}

func TestClusterLifecycle(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ClusterTiming = ClusterTiming{Create: time.Minute, Delete: 30 * time.Second} })
	c := clusterClient(t, e)
	ctx := context.Background()
	vm := e.as(t, vmSA)

	if _, err := c.CreateCluster(ctx, &dataprocpb.CreateClusterRequest{ProjectId: project, Region: region,
		Cluster: testCluster("c1", 0, time.Hour)}, e.as(t, otherSA)...); status.Code(err) != codes.PermissionDenied {
		t.Errorf("CreateCluster as another service account = %v, want PermissionDenied", err)
	}
	op := e.create(t, c, testCluster("c1", 0, time.Hour), "req-1", vm)
	again := e.create(t, c, testCluster("c1", 0, time.Hour), "req-1", vm)
	if op.Name() != again.Name() || e.srv.CreatedFor("req-1") != 1 {
		t.Errorf("a repeated request_id: operations %s and %s, %d clusters created", op.Name(), again.Name(), e.srv.CreatedFor("req-1"))
	}
	_, err := c.CreateCluster(ctx, &dataprocpb.CreateClusterRequest{ProjectId: project, Region: region, Cluster: testCluster("c1", 0, time.Hour), RequestId: "req-2"}, vm...)
	wantCode(t, "CreateCluster(name in use)", err, codes.AlreadyExists)
	md, err := op.Metadata()
	if err != nil || md.GetOperationType() != "CREATE" || md.GetClusterName() != "c1" {
		t.Errorf("create metadata = %v, %v", md, err)
	}
	if st, _ := e.state(t, c, "c1"); st != dataprocpb.ClusterStatus_CREATING {
		t.Errorf("state before its creation time = %s, want CREATING", st)
	}
	_, err = c.DeleteCluster(ctx, &dataprocpb.DeleteClusterRequest{ProjectId: project, Region: region, ClusterName: "c1"}, e.as(t, brokerSA)...)
	wantCode(t, "DeleteCluster(CREATING)", err, codes.FailedPrecondition)

	e.clock.Advance(time.Minute)
	created, err := op.Poll(ctx, e.as(t, vmSA)...)
	if err != nil || !op.Done() || created.GetStatus().GetState() != dataprocpb.ClusterStatus_RUNNING {
		t.Fatalf("create operation after a minute: %v done=%v, %v", created.GetStatus(), op.Done(), err)
	}
	if created.GetConfig().GetEndpointConfig().GetHttpPorts()["Spark History Server"] == "" {
		t.Error("the Component Gateway lists no web UI")
	}

	_, err = c.DeleteCluster(ctx, &dataprocpb.DeleteClusterRequest{ProjectId: project, Region: region, ClusterName: "c1", ClusterUuid: "not-its-uuid"}, e.as(t, brokerSA)...)
	wantCode(t, "DeleteCluster(another uuid)", err, codes.NotFound)
	del, err := c.DeleteCluster(ctx, &dataprocpb.DeleteClusterRequest{ProjectId: project, Region: region, ClusterName: "c1",
		ClusterUuid: created.GetClusterUuid(), RequestId: "del-1"}, e.as(t, brokerSA)...)
	if err != nil {
		t.Fatalf("DeleteCluster = %v", err)
	}
	del2, err := c.DeleteCluster(ctx, &dataprocpb.DeleteClusterRequest{ProjectId: project, Region: region, ClusterName: "c1"}, e.as(t, brokerSA)...)
	if err != nil || del2.Name() != del.Name() {
		t.Errorf("a second delete while DELETING = %v, %v, want the same operation %s", del2.Name(), err, del.Name())
	}
	if st, _ := e.state(t, c, "c1"); st != dataprocpb.ClusterStatus_DELETING {
		t.Errorf("state after the delete = %s, want DELETING", st)
	}
	e.clock.Advance(30 * time.Second)
	if err := del.Poll(ctx, e.as(t, brokerSA)...); err != nil || !del.Done() {
		t.Errorf("delete operation after its time: done=%v, %v", del.Done(), err)
	}
	_, err = e.state(t, c, "c1")
	wantCode(t, "GetCluster(deleted)", err, codes.NotFound)
	_, err = c.DeleteCluster(ctx, &dataprocpb.DeleteClusterRequest{ProjectId: project, Region: region, ClusterName: "c1"}, e.as(t, brokerSA)...)
	wantCode(t, "DeleteCluster(gone)", err, codes.NotFound)
	// The name is free again.
	e.create(t, c, testCluster("c1", 0, time.Hour), "req-3", vm)
}

func TestClusterTTLs(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.ClusterTiming = ClusterTiming{Create: time.Minute, Delete: time.Minute}
		c.Timing = Timing{Pending: time.Minute, Running: 30 * time.Minute, Cancel: time.Minute}
	})
	c := clusterClient(t, e)
	vm := e.as(t, vmSA)
	e.create(t, c, testCluster("auto", 0, 20*time.Minute), "", vm)
	e.create(t, c, testCluster("idle", 10*time.Minute, time.Hour), "", vm)
	e.clock.Advance(time.Minute) // both RUNNING
	job := sparkJob("on-idle", nil)
	job.Placement.ClusterName = "idle"
	if _, err := e.jobs.SubmitJob(context.Background(), &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, Job: job}, vm...); err != nil {
		t.Fatalf("SubmitJob on a RUNNING created cluster = %v", err)
	}
	e.clock.Advance(19*time.Minute + 30*time.Second) // auto: its 20m are up; idle: its job runs
	if st, _ := e.state(t, c, "auto"); st != dataprocpb.ClusterStatus_DELETING {
		t.Errorf("auto-delete TTL reached: state %s, want DELETING", st)
	}
	if st, _ := e.state(t, c, "idle"); st != dataprocpb.ClusterStatus_RUNNING {
		t.Errorf("a cluster running a job: state %s, want RUNNING (not idle)", st)
	}
	e.clock.Advance(21*time.Minute + 45*time.Second) // the job ended at 32m; 10m idle later it goes
	if _, err := e.state(t, c, "auto"); status.Code(err) != codes.NotFound {
		t.Errorf("auto cluster after its deletion = %v, want NotFound", err)
	}
	if st, _ := e.state(t, c, "idle"); st != dataprocpb.ClusterStatus_DELETING {
		t.Errorf("10 minutes after its last job: state %s, want DELETING", st)
	}
}

func TestClusterLifecycleIgnored(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.IgnoreLifecycle = true
		c.ClusterTiming = ClusterTiming{Create: time.Minute, Delete: time.Minute}
	})
	c := clusterClient(t, e)
	e.create(t, c, testCluster("kept", 10*time.Minute, 20*time.Minute), "", e.as(t, vmSA))
	e.clock.Advance(time.Hour)
	if st, err := e.state(t, c, "kept"); st != dataprocpb.ClusterStatus_RUNNING || err != nil {
		t.Errorf("with IgnoreLifecycle, an hour later: %s, %v, want RUNNING", st, err)
	}
}

func TestClusterQuotaAndJobs(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.ClusterQuota = 2
		c.ClusterTiming = ClusterTiming{Create: time.Minute, Delete: time.Minute}
		c.ClusterFailure = func(w Workload) string {
			if w.ID == "broken" {
				return "Insufficient 'N2_CPUS' quota"
			}
			return ""
		}
	})
	c := clusterClient(t, e)
	ctx := context.Background()
	vm := e.as(t, vmSA)
	e.create(t, c, testCluster("q1", 0, time.Hour), "", vm)
	broken := e.create(t, c, testCluster("broken", 0, time.Hour), "", vm)
	_, err := c.CreateCluster(ctx, &dataprocpb.CreateClusterRequest{ProjectId: project, Region: region, Cluster: testCluster("q3", 0, time.Hour)}, vm...)
	wantCode(t, "CreateCluster over the quota", err, codes.ResourceExhausted)

	job := sparkJob("early", nil)
	job.Placement.ClusterName = "q1"
	_, err = e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, Job: job}, vm...)
	wantCode(t, "SubmitJob on a CREATING cluster", err, codes.FailedPrecondition)
	e.clock.Advance(time.Minute)
	if _, err := broken.Poll(ctx, vm...); err == nil || !broken.Done() {
		t.Errorf("create of a cluster that failed: done=%v, %v, want an error", broken.Done(), err)
	}
	if st, _ := e.state(t, c, "broken"); st != dataprocpb.ClusterStatus_ERROR {
		t.Errorf("failed cluster state = %s, want ERROR", st)
	}
	_, err = e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, Job: job}, e.as(t, otherSA)...)
	wantCode(t, "SubmitJob as another account than the cluster's", err, codes.PermissionDenied)
	if _, err := e.jobs.SubmitJob(ctx, &dataprocpb.SubmitJobRequest{ProjectId: project, Region: region, Job: job}, vm...); err != nil {
		t.Errorf("SubmitJob on a RUNNING cluster = %v", err)
	}

	var names []string
	it := c.ListClusters(ctx, &dataprocpb.ListClustersRequest{ProjectId: project, Region: region, Filter: "status.state = ACTIVE AND labels.iis-request = r-q1"}, e.as(t, brokerSA)...)
	for {
		cl, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, cl.GetClusterName())
	}
	if len(names) != 1 || names[0] != "q1" {
		t.Errorf("ListClusters(ACTIVE, label) = %v, want [q1]", names)
	}
	// Deleting one frees its quota once it is gone.
	if _, err := c.DeleteCluster(ctx, &dataprocpb.DeleteClusterRequest{ProjectId: project, Region: region, ClusterName: "broken"}, e.as(t, brokerSA)...); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	e.create(t, c, testCluster("q3", 0, time.Hour), "", vm)
}
