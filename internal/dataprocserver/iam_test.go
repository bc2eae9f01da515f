package dataprocserver

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/grpc/codes"
)

func TestClusterIAMPolicy(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ClusterTiming = ClusterTiming{Create: time.Minute, Delete: time.Minute} })
	c := clusterClient(t, e)
	ctx := context.Background()
	e.create(t, c, testCluster("iam", 0, time.Hour), "", e.as(t, vmSA))
	e.clock.Advance(time.Minute)
	res := "projects/" + project + "/regions/" + region + "/clusters/iam"
	admin := e.as(t, brokerSA)

	p, err := c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: res}, admin...)
	if err != nil || len(p.GetBindings()) != 0 || len(p.GetEtag()) == 0 {
		t.Fatalf("GetIamPolicy(new cluster) = %v, %v, want an empty policy with an etag", p, err)
	}
	until := epoch.Add(31 * time.Minute)
	bound := &iampb.Binding{Role: "roles/dataproc.viewer", Members: []string{"user:ada@example.com"},
		Condition: &expr.Expr{Title: "iis-1", Expression: `request.time < timestamp("` + until.Format(time.RFC3339) + `")`}}

	_, err = c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: res, Policy: &iampb.Policy{Version: 1, Bindings: []*iampb.Binding{bound}, Etag: p.GetEtag()}}, admin...)
	wantCode(t, "SetIamPolicy(condition in a version 1 policy)", err, codes.InvalidArgument)
	bad := &iampb.Binding{Role: "roles/dataproc.viewer", Members: []string{"user:ada@example.com"}, Condition: &expr.Expr{Title: "x", Expression: "true"}}
	_, err = c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: res, Policy: &iampb.Policy{Version: 3, Bindings: []*iampb.Binding{bad}}}, admin...)
	wantCode(t, "SetIamPolicy(a condition the server cannot evaluate)", err, codes.InvalidArgument)
	_, err = c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: res, Policy: &iampb.Policy{Version: 3, Bindings: []*iampb.Binding{bound}}}, e.as(t, vmSA)...)
	wantCode(t, "SetIamPolicy by the cluster's own account", err, codes.PermissionDenied)

	set, err := c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: res, Policy: &iampb.Policy{Version: 3, Bindings: []*iampb.Binding{bound}, Etag: p.GetEtag()}}, admin...)
	if err != nil || string(set.GetEtag()) == string(p.GetEtag()) {
		t.Fatalf("SetIamPolicy = %v, %v, want a new etag", set.GetEtag(), err)
	}
	_, err = c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: res, Policy: &iampb.Policy{Version: 3, Etag: p.GetEtag()}}, admin...)
	wantCode(t, "SetIamPolicy with the stale etag", err, codes.Aborted)
	if e.srv.Counts().IamConflicts != 1 {
		t.Errorf("IamConflicts = %d, want 1", e.srv.Counts().IamConflicts)
	}

	_, err = c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: res}, admin...)
	wantCode(t, "GetIamPolicy(version 1) of a conditional policy", err, codes.InvalidArgument)
	got, err := c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: res, Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}}, e.as(t, vmSA)...)
	if err != nil || len(got.GetBindings()) != 1 || got.GetBindings()[0].GetCondition().GetTitle() != "iis-1" {
		t.Fatalf("GetIamPolicy(version 3) = %v, %v", got, err)
	}
	if n := len(e.srv.Bindings(res, until.Add(-time.Second))); n != 1 {
		t.Errorf("bindings honoured before the expiry = %d, want 1", n)
	}
	if n := len(e.srv.Bindings(res, until)); n != 0 {
		t.Errorf("bindings honoured at the expiry = %d, want 0 (request.time < timestamp)", n)
	}
	_, err = c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: "projects/" + project + "/regions/" + region + "/clusters/nope"}, admin...)
	wantCode(t, "GetIamPolicy(no such cluster)", err, codes.NotFound)
}
