package chaos

import (
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/request"
)

// clusterRun adds to goodRun: alice's cluster (running), bob's (created,
// deleted when he left), bob's second request stopped in flight, and
// alice's access request, granted.
func clusterRun() Run {
	r := goodRun()
	r.ClusterRequests = []Request{{ID: "c1", Principal: "alice@x"}, {ID: "c2", Principal: "bob@x"}, {ID: "c3", Principal: "bob@x"}}
	r.AccessRequests = []Request{{ID: "a1", Principal: "alice@x"}}
	for id, o := range map[string]string{"c1": "approved", "c2": "approved", "c3": "approved", "a1": "approved"} {
		r.Decisions[id] = o
	}
	r.Audit.Trails["c1"] = &Trail{Outcomes: []string{"approved"}, Issued: 1, Created: 1}
	r.Audit.Trails["c2"] = &Trail{Outcomes: []string{"approved"}, Issued: 1, Created: 1, DeletedReason: "leaver"}
	r.Audit.Trails["c3"] = &Trail{Outcomes: []string{"approved"}, Rejections: []string{request.ReasonRevokedInFlight}}
	r.Audit.Trails["a1"] = &Trail{Outcomes: []string{"approved"}, Granted: 1}
	r.Clusters = []Cluster{{Name: "iis-1", Request: dataproc.RequestLabel("c1"), State: "RUNNING"}}
	return r
}

func TestCheckClusters(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*Run)
		want   string
	}{
		{"every promise kept", func(*Run) {}, ""},
		{"a duplicate cluster", func(r *Run) {
			r.Clusters = append(r.Clusters, Cluster{Name: "iis-2", Request: dataproc.RequestLabel("c1")})
		}, "c1: 2 clusters in Dataproc"},
		{"created twice", func(r *Run) { r.Audit.Trails["c1"].Created = 2 }, "c1: 1 clusters in Dataproc, 2 cluster.created"},
		{"a leaver's cluster left", func(r *Run) {
			r.Clusters = append(r.Clusters, Cluster{Name: "iis-3", Request: dataproc.RequestLabel("c2"), State: "RUNNING"})
		}, "leaver bob@x: cluster iis-3 of request c2 still in Dataproc"},
		{"a leaver still bound", func(r *Run) { r.LeaverBindings = []string{"user:bob@x on iis-1"} }, "still bound in a cluster's IAM policy: user:bob@x"},
		{"an approved cluster missing", func(r *Run) { r.Clusters = nil }, "c1 of alice@x: approved, 0 clusters in Dataproc"},
		{"a cluster of no request", func(r *Run) { r.Clusters = append(r.Clusters, Cluster{Name: "iis-x", Request: "r-nope"}) }, "iis-x (iis-request=\"r-nope\") belongs to no cluster request"},
		{"decided twice", func(r *Run) { r.Audit.Trails["c1"].Outcomes = []string{"approved", "approved"} }, "cluster request c1: decision events [approved approved]"},
		{"a cluster without approval", func(r *Run) { r.Decisions["c1"], r.Audit.Trails["c1"].Outcomes = "denied", []string{"denied"} }, "c1 (denied): a cluster without an approval"},
		{"no leaver had a cluster", func(r *Run) { r.Audit.Trails["c2"].Created = 0 }, "no leaver had a cluster"},
		{"access granted twice", func(r *Run) { r.Audit.Trails["a1"].Granted = 2 }, "a1: 2 access.granted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := clusterRun()
			c.change(&run)
			res := Check(run)
			got := strings.Join(res.Problems, "\n")
			switch {
			case c.want == "" && got != "":
				t.Errorf("problems:\n%s\nwant none", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("problems:\n%s\nwant one with %q", got, c.want)
			}
		})
	}
	res := Check(clusterRun())
	if c := res.Clusters; c.Requests != 3 || c.OneDecision != 3 || c.Approved != 3 || c.StoppedInFlight != 1 || c.Created != 2 || c.LeaverClusters != 1 || c.AccessGranted != 1 {
		t.Errorf("counts = %+v", c)
	}
}
