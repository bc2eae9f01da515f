package policy

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestClusterApprovalFailsClosed: approvals pause job requests only, so a
// cluster or access request under a role an approval rule applies to is
// refused with cluster_approval_required, never allowed unapproved; a rule
// for another role, or whose condition is false, changes nothing.
func TestClusterApprovalFailsClosed(t *testing.T) {
	data, err := os.ReadFile("testdata/clusters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)
	cluster := ClusterRequest{Principal: scientist, Template: "small", Time: at}
	access := AccessRequest{Principal: scientist, Owner: scientist.ID, Project: "data-prod", Region: "europe-west1",
		Cluster: "iis-0a", View: "logs", Duration: 30 * time.Minute, Time: at}
	for _, c := range []struct {
		name, rules string
		refused     bool
	}{
		{"top-level rule for the role", "approvals:\n  - {name: explorers-need-a-lead, roles: [explorer], approvers: [leads]}\n", true},
		{"top-level rule for any role", "approvals:\n  - {name: everything, approvers: [leads]}\n", true},
		{"rule selecting the group", "approvals:\n  - {name: scientists, groups: [data-scientists], approvers: [leads]}\n", true},
		{"rule for another role", "approvals:\n  - {name: support-needs-a-lead, roles: [support], approvers: [leads]}\n", false},
		{"condition false", "approvals:\n  - {name: weekends, roles: [explorer], approvers: [leads], condition: \"request.time.getDayOfWeek() == 6\"}\n", false},
	} {
		p, err := Parse("clusters.yaml", append(append([]byte{}, data...), c.rules...))
		if err != nil {
			t.Fatalf("%s: Parse = %v", c.name, err)
		}
		d := p.EvaluateCluster(cluster)
		a := p.EvaluateAccess(access)
		if !c.refused {
			if !d.Allowed || !a.Allowed {
				t.Errorf("%s: cluster %v %+v, access %v %+v; want both allowed", c.name, d.Allowed, d.Reasons, a.Allowed, a.Reasons)
			}
			continue
		}
		last := d.Reasons[len(d.Reasons)-1]
		if d.Allowed || last.Code != CodeClusterApproval || last.Role != "explorer" || last.Field != "role" || last.Cap != "approval" ||
			!strings.Contains(last.Message, "job requests only") {
			t.Errorf("%s: EvaluateCluster = %v %+v, want %s", c.name, d.Allowed, d.Reasons, CodeClusterApproval)
		}
		if d.Spec.Workers.Count != 0 || d.ServiceAccount != "" {
			t.Errorf("%s: a refused cluster decision carries a spec or account: %+v", c.name, d)
		}
		if ar := a.Reasons[len(a.Reasons)-1]; a.Allowed || ar.Code != CodeClusterApproval || a.IAMRole != "" {
			t.Errorf("%s: EvaluateAccess = %v %+v, want %s", c.name, a.Allowed, a.Reasons, CodeClusterApproval)
		}
	}
}
