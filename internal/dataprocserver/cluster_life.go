package dataprocserver

import (
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/iam/apiv1/iampb"
)

// ClusterTiming is how long a cluster takes to be created and deleted.
type ClusterTiming struct {
	Create time.Duration // CREATING before RUNNING (or ERROR)
	Delete time.Duration // DELETING before it is gone
}

// DefaultClusterTiming is used when Config.ClusterTiming is zero.
var DefaultClusterTiming = ClusterTiming{Create: 3 * time.Second, Delete: 2 * time.Second}

// clusterRec is a cluster as created plus its life. Like a workload's, its
// state is computed from the clock when it is read: created, running (or
// in error), deleting (asked for, or its lifecycle TTL reached), gone.
type clusterRec struct {
	cluster   *dataprocpb.Cluster // as created, output fields set; never handed out
	project   string
	region    string
	name      string
	runsAs    string // the VMs' service account
	requestID string
	createOp  string
	deleteOp  string
	deleteReq string // request_id of the accepted delete
	created   time.Time
	timing    ClusterTiming
	failure   string    // non-empty: the cluster ends up in ERROR with this message
	deleteAt  time.Time // when a delete was accepted (zero: none)
	idleTTL   time.Duration
	autoAt    time.Time // auto-delete time (zero: none)
	policy    *iampb.Policy
	etag      int64 // the policy's version, for etags
}

// clusterPhase is a cluster state; gone is the end (NotFound).
type clusterPhase int

const (
	clusterCreating clusterPhase = iota
	clusterRunning
	clusterError
	clusterDeleting
	clusterGone
)

var clusterStates = map[clusterPhase]dataprocpb.ClusterStatus_State{
	clusterCreating: dataprocpb.ClusterStatus_CREATING,
	clusterRunning:  dataprocpb.ClusterStatus_RUNNING,
	clusterError:    dataprocpb.ClusterStatus_ERROR,
	clusterDeleting: dataprocpb.ClusterStatus_DELETING,
}

type clusterTransition struct {
	phase clusterPhase
	at    time.Time
	msg   string
}

// clusterHistory lists the cluster's transitions up to now; the last is its
// state. lastActivity says when the cluster was last busy (a job ended) and
// whether a job is running now: the idle TTL counts from then.
func (s *Server) clusterHistory(rec *clusterRec, now time.Time) []clusterTransition {
	upAt := rec.created.Add(rec.timing.Create)
	all := []clusterTransition{{phase: clusterCreating, at: rec.created, msg: "Creating cluster."}}
	if rec.failure != "" {
		all = append(all, clusterTransition{phase: clusterError, at: upAt, msg: rec.failure})
	} else {
		all = append(all, clusterTransition{phase: clusterRunning, at: upAt})
	}
	end, why := s.deleteStart(rec, upAt, now)
	if !end.IsZero() {
		all = append(all, clusterTransition{phase: clusterDeleting, at: end, msg: why},
			clusterTransition{phase: clusterGone, at: end.Add(rec.timing.Delete)})
	}
	n := 0
	for n < len(all) && !all[n].at.After(now) {
		n++
	}
	return all[:max(n, 1)]
}

// deleteStart is when the cluster starts being deleted, and why: an
// accepted delete, or (unless lifecycle enforcement is off) its auto-delete
// time or its idle TTL. Zero: not yet known to end.
func (s *Server) deleteStart(rec *clusterRec, upAt, now time.Time) (time.Time, string) {
	var at time.Time
	why := ""
	consider := func(t time.Time, reason string) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at, why = t, reason
		}
	}
	consider(rec.deleteAt, "Deleting cluster.")
	if !s.ignoreLifecycle {
		if !rec.autoAt.IsZero() {
			consider(maxTime(rec.autoAt, upAt), "Deleting cluster: auto-delete time reached.")
		}
		if rec.idleTTL > 0 {
			if since, busy := s.lastActivity(rec, upAt, now); !busy {
				consider(since.Add(rec.idleTTL), "Deleting cluster: idle for "+rec.idleTTL.String()+".")
			}
		}
	}
	return at, why
}

// lastActivity is when the cluster was last busy (it came up, or a job on
// it ended) and whether a job on it is still running at now.
func (s *Server) lastActivity(rec *clusterRec, upAt, now time.Time) (time.Time, bool) {
	last := upAt
	for _, j := range s.state.jobs {
		if j.project != rec.project || j.region != rec.region || j.job.GetPlacement().GetClusterName() != rec.name || j.run.created.Before(rec.created) {
			continue
		}
		cur := j.run.current(now)
		if !cur.phase.terminal() {
			return now, true
		}
		last = maxTime(last, cur.at)
	}
	return last, false
}

// clusterNow is the cluster's current state. s.mu must be held.
func (s *Server) clusterNow(rec *clusterRec) clusterTransition {
	h := s.clusterHistory(rec, s.clock.Now())
	return h[len(h)-1]
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
