package chaos

import (
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
)

// Cluster is a cluster as the Dataproc API lists it at the end of a run.
type Cluster struct {
	Name    string
	Request string // its iis-request label
	State   string
}

// ClusterResult counts the cluster and access requests of a run.
type ClusterResult struct {
	Requests        int // cluster requests published
	OneDecision     int // ... with exactly one decision event and one in the store
	Approved        int
	StoppedInFlight int // approved, then stopped because the principal left
	Created         int // with their one cluster.created
	InDataproc      int // clusters the Dataproc API lists
	Duplicates      int // requests with more than one cluster
	Orphans         int // clusters of no request of the run
	LeaverClusters  int // leavers' requests whose cluster was created
	LeaverLeft      int // ... still in Dataproc at the end
	LeaverBindings  int // IAM bindings naming a leaver left on any cluster
	Access          int // access requests published
	AccessDecided   int // ... with exactly one decision
	AccessGranted   int
}

// checkClusters judges the cluster and access requests: one decision each,
// at most one cluster per request (redeliveries included), a cluster for
// every approved request of a principal who stayed, none left for a
// leaver, and no leaver left in any cluster's IAM policy.
func checkClusters(res *Result, problem func(string, ...any), run Run) {
	c := &res.Clusters
	c.Requests, c.Access, c.InDataproc = len(run.ClusterRequests), len(run.AccessRequests), len(run.Clusters)
	byLabel := map[string]Request{}
	for _, r := range run.ClusterRequests {
		byLabel[dataproc.RequestLabel(r.ID)] = r
	}
	per := map[string][]Cluster{}
	for _, cl := range run.Clusters {
		r, ok := byLabel[cl.Request]
		if !ok {
			c.Orphans++
			problem("cluster %s (iis-request=%q) belongs to no cluster request of the run", cl.Name, cl.Request)
			continue
		}
		per[r.ID] = append(per[r.ID], cl)
	}
	for _, r := range run.ClusterRequests {
		t := run.Audit.Trails[r.ID]
		if t == nil {
			t = &Trail{}
		}
		stored := run.Decisions[r.ID]
		if len(t.Outcomes) == 1 && stored != "" && t.Outcomes[0] == stored {
			c.OneDecision++
		} else {
			problem("cluster request %s: decision events %v, in the store %q; want one, the same", r.ID, t.Outcomes, stored)
		}
		cls := per[r.ID]
		if len(cls) > 1 || t.Created > 1 {
			c.Duplicates++
			problem("cluster request %s: %d clusters in Dataproc, %d cluster.created; want at most 1", r.ID, len(cls), t.Created)
		}
		inFlight := false
		for _, reason := range t.Rejections {
			if reason == request.ReasonRevokedInFlight {
				inFlight = true
			} else {
				problem("cluster request %s: rejected with reason %q", r.ID, reason)
			}
		}
		_, leaver := run.Leavers[r.Principal]
		if leaver && t.Created > 0 {
			c.LeaverClusters++
		}
		switch {
		case stored != store.OutcomeApproved:
			if t.Created+len(cls) > 0 {
				problem("cluster request %s (%s): a cluster without an approval", r.ID, stored)
			}
			continue
		case inFlight && !leaver:
			problem("cluster request %s: stopped in flight, but %s never left", r.ID, r.Principal)
		}
		c.Approved++
		if inFlight {
			c.StoppedInFlight++
		}
		if t.Created == 1 {
			c.Created++
		}
		switch {
		case leaver && len(cls) > 0:
			c.LeaverLeft++
			problem("leaver %s: cluster %s of request %s still in Dataproc (%s)", r.Principal, cls[0].Name, r.ID, cls[0].State)
		case !leaver && (len(cls) != 1 || t.Created != 1):
			problem("cluster request %s of %s: approved, %d clusters in Dataproc and %d cluster.created, want 1 and 1", r.ID, r.Principal, len(cls), t.Created)
		}
	}
	if len(run.Leavers) > 0 && c.Requests > 0 && c.LeaverClusters == 0 {
		problem("no leaver had a cluster: the run proves nothing about leavers' clusters")
	}
	for _, m := range run.LeaverBindings {
		c.LeaverBindings++
		problem("a leaver is still bound in a cluster's IAM policy: %s", m)
	}
	for _, r := range run.AccessRequests {
		t := run.Audit.Trails[r.ID]
		if t == nil {
			t = &Trail{}
		}
		if len(t.Outcomes) == 1 && run.Decisions[r.ID] == t.Outcomes[0] {
			c.AccessDecided++
		} else {
			problem("access request %s: decision events %v, in the store %q", r.ID, t.Outcomes, run.Decisions[r.ID])
		}
		if t.Granted > 1 {
			problem("access request %s: %d access.granted, want at most 1", r.ID, t.Granted)
		}
		c.AccessGranted += min(t.Granted, 1)
		for _, reason := range t.Rejections {
			if _, leaver := run.Leavers[r.Principal]; !leaver || reason != request.ReasonRevokedInFlight {
				problem("access request %s: rejected with reason %q", r.ID, reason)
			}
		}
	}
}
