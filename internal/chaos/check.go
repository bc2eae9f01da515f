package chaos

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
)

// Request is one job request the test published.
type Request struct {
	ID        string // CloudEvent id
	Principal string // who asked: the e-mail in the ID token
}

// Workload is a Dataproc job or batch as the Dataproc API lists it.
type Workload struct {
	Resource  string
	Request   string    // its iis-request label
	State     string    // the API's state name (batch or job enum)
	Ended     bool      // a terminal state
	Succeeded bool      // ended by itself: SUCCEEDED (batch) or DONE (job)
	StateAt   time.Time // when it entered State
}

// Run is what one chaos run observed once it was quiet.
type Run struct {
	Requests []Request
	// Decisions are the outcomes the store recorded, by request id.
	Decisions map[string]string
	Audit     Audit
	Workloads []Workload
	// Leavers maps each deactivated principal to the time the SCIM
	// endpoint acknowledged the deactivation (the lock had committed).
	Leavers map[string]time.Time
	// Breaks are where the audit chain did not verify (VerifyChain).
	Breaks []Break
	// Delivered counts the chain records received on the audit topic.
	Delivered int
	// LateBound is how long after a lock a worker may still approve the
	// leaver (a cache not yet told): beyond it, an approval is a violation.
	LateBound time.Duration
	// ClusterRequests and AccessRequests are the cluster and access
	// requests published; Clusters what the Dataproc API lists at the
	// end; LeaverBindings the IAM members of leavers still bound on a
	// cluster at the end.
	ClusterRequests []Request
	AccessRequests  []Request
	Clusters        []Cluster
	LeaverBindings  []string
}

// Result is the outcome of Check: counts for the report, and every
// violation found.
type Result struct {
	Requests        int
	Decided         int // requests with a decision in the store
	OneDecision     int // requests with exactly one decision event in the chain
	Approved        int
	Denied          int
	Submitted       int // approved requests with their one job.submitted
	Ended           int // ... and the event that ended the job
	StoppedInFlight int // approved, then stopped before submitting: principal_locked_in_flight
	StoppedRepeat   int // a repeated delivery stopped in flight while an earlier one submitted
	Reissued        int // approved requests with more than one credential.issued (redeliveries)

	Workloads      int // listed by the Dataproc API
	MultiWorkload  int // requests with more than one workload
	Orphans        int // workloads that belong to no request of the run
	LeaverJobs     int // workloads of leavers
	LeaverFound    int // of those, found unrecorded by the cascade
	LeaverStopped  int // ... cancelled
	LeaverActive   int // ... still pending or running at the end
	LeaverRanOn    int // ... that ran to success after the revocation finished
	Leavers        int
	LeaversRevoked int // leavers with an access.revoked in the chain
	LateApprovals  int // leaver requests approved after the lock
	MaxLate        time.Duration
	AuditRecords   int // records in the chain
	ChainBreaks    int
	Delivered      int // chain records received on the audit topic
	Clusters       ClusterResult

	Problems []string
}

// OK reports whether the run kept every promise.
func (r Result) OK() bool { return len(r.Problems) == 0 }

// Check judges a run.
func Check(run Run) Result {
	res := Result{Requests: len(run.Requests), Workloads: len(run.Workloads), Leavers: len(run.Leavers),
		AuditRecords: run.Audit.Records, ChainBreaks: len(run.Breaks), Delivered: run.Delivered}
	problem := func(format string, args ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, args...)) }
	for _, b := range run.Breaks {
		problem("audit chain: %s", b)
	}
	for _, r := range run.Audit.Rejected {
		problem("event rejected: %s", r)
	}
	if run.Delivered != run.Audit.Records {
		problem("audit topic: %d of %d chain records delivered", run.Delivered, run.Audit.Records)
	}

	byLabel := map[string]Request{}
	for _, r := range run.Requests {
		byLabel[dataproc.RequestLabel(r.ID)] = r
	}
	perRequest := map[string][]Workload{}
	for _, w := range run.Workloads {
		r, ok := byLabel[w.Request]
		if !ok {
			res.Orphans++
			problem("workload %s (iis-request=%q) belongs to no request of the run", w.Resource, w.Request)
			continue
		}
		perRequest[r.ID] = append(perRequest[r.ID], w)
	}
	for _, r := range run.Requests {
		checkRequest(&res, problem, run, r, run.Audit.Trails[r.ID], perRequest[r.ID])
	}
	checkLeavers(&res, problem, run, perRequest)
	checkClusters(&res, problem, run)
	return res
}

func checkRequest(res *Result, problem func(string, ...any), run Run, r Request, t *Trail, ws []Workload) {
	if t == nil {
		t = &Trail{}
	}
	stored := run.Decisions[r.ID]
	if stored != "" {
		res.Decided++
	} else {
		problem("request %s: no decision in the store", r.ID)
	}
	switch {
	case len(t.Outcomes) == 1:
		res.OneDecision++
	default:
		problem("request %s: %d decision events in the audit chain, want 1", r.ID, len(t.Outcomes))
	}
	if len(t.Outcomes) > 0 && stored != "" && t.Outcomes[0] != stored {
		problem("request %s: audit says %s, the store %s", r.ID, t.Outcomes[0], stored)
	}
	if len(ws) > 1 {
		res.MultiWorkload++
		problem("request %s: %d Dataproc workloads, want at most 1", r.ID, len(ws))
	}
	inFlight := 0
	for _, reason := range t.Rejections {
		if reason == request.ReasonRevokedInFlight {
			inFlight++
		} else {
			problem("request %s: rejected with reason %q", r.ID, reason)
		}
	}
	if stored != store.OutcomeApproved {
		if stored == store.OutcomeDenied {
			res.Denied++
		}
		if t.Issued+t.Submitted+len(ws)+inFlight > 0 {
			problem("request %s (%s): %d credentials, %d submissions, %d workloads, %d in-flight stops after no approval",
				r.ID, stored, t.Issued, t.Submitted, len(ws), inFlight)
		}
		return
	}
	res.Approved++
	if t.Issued > 1 {
		res.Reissued++
	}
	if lock, leaver := run.Leavers[r.Principal]; leaver && t.DecidedAt.After(lock) {
		late := t.DecidedAt.Sub(lock)
		res.LateApprovals++
		res.MaxLate = max(res.MaxLate, late)
		if late > run.LateBound {
			problem("request %s: leaver %s approved %v after the lock (bound %v)", r.ID, r.Principal, late, run.LateBound)
		}
	}
	if inFlight > 0 {
		if _, leaver := run.Leavers[r.Principal]; !leaver {
			problem("request %s: stopped as %s, but %s never left", r.ID, request.ReasonRevokedInFlight, r.Principal)
		}
		if t.Submitted == 0 {
			// Stopped before anything ran: there must be no workload either
			// (one would have been submitted and then lost track of).
			res.StoppedInFlight++
			if len(ws) > 0 {
				problem("request %s: stopped in flight, no job.submitted in the audit trail, yet Dataproc has %s (%s)", r.ID, ws[0].Resource, ws[0].State)
			}
			return
		}
		res.StoppedRepeat++ // the job of the earlier delivery is checked below
	}
	switch {
	case t.Issued == 0:
		problem("request %s: approved and run without a credential.issued", r.ID)
	case t.Submitted != 1:
		problem("request %s: approved, %d job.submitted, want 1", r.ID, t.Submitted)
	case len(ws) != 1:
		problem("request %s: approved and submitted, %d Dataproc workloads, want 1", r.ID, len(ws))
	default:
		res.Submitted++
	}
	if t.Submitted > 0 {
		if t.Ended == 1 {
			res.Ended++
		} else {
			problem("request %s: %d job.state_changed events ending the job, want 1", r.ID, t.Ended)
		}
	}
}

// checkLeavers looks at every leaver's workloads: none may still run, and
// none may have run to success after the revocation cascade finished (the
// cascade cancels what it knows of; a workload that outlived it was missed).
func checkLeavers(res *Result, problem func(string, ...any), run Run, perRequest map[string][]Workload) {
	leaverOf := map[string]string{}
	for _, r := range run.Requests {
		if _, ok := run.Leavers[r.Principal]; ok {
			leaverOf[r.ID] = r.Principal
		}
	}
	ids := make([]string, 0, len(perRequest))
	for id := range perRequest {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p, ok := leaverOf[id]
		if !ok {
			continue
		}
		revoked := firstRevocation(run.Audit, p)
		if t := run.Audit.Trails[id]; t != nil {
			res.LeaverFound += t.Found
		}
		for _, w := range perRequest[id] {
			res.LeaverJobs++
			switch {
			case !w.Ended:
				res.LeaverActive++
				problem("leaver %s: workload %s still %s", p, w.Resource, w.State)
			case w.Succeeded && !revoked.IsZero() && w.StateAt.After(revoked):
				res.LeaverRanOn++
				problem("leaver %s: workload %s ran to %s at %s, %v after the revocation finished",
					p, w.Resource, w.State, w.StateAt.Format(time.RFC3339Nano), w.StateAt.Sub(revoked))
			case !w.Succeeded:
				res.LeaverStopped++
			}
		}
	}
	leavers := make([]string, 0, len(run.Leavers))
	for p := range run.Leavers {
		leavers = append(leavers, p)
	}
	slices.Sort(leavers)
	for _, p := range leavers {
		if len(run.Audit.Revocations[p]) > 0 {
			res.LeaversRevoked++
		} else {
			problem("leaver %s: no access.revoked in the audit chain", p)
		}
	}
}

// firstRevocation is when the first cascade for p finished (zero if none).
func firstRevocation(a Audit, p string) time.Time {
	var first time.Time
	for _, rv := range a.Revocations[p] {
		if first.IsZero() || rv.FinishedAt.Before(first) {
			first = rv.FinishedAt
		}
	}
	return first
}
