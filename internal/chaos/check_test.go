package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/events"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// goodRun is a run that kept every promise: alice ran a job, mallory was
// denied, bob (a leaver) had one job cancelled and one request stopped in
// flight.
func goodRun() Run {
	wl := func(id, state string, ended, ok bool, at time.Time) Workload {
		return Workload{Resource: "batches/" + id, Request: dataproc.RequestLabel(id), State: state, Ended: ended, Succeeded: ok, StateAt: at}
	}
	return Run{
		Requests: []Request{
			{ID: "r1", Principal: "alice@x"}, {ID: "r2", Principal: "mallory@x"},
			{ID: "r3", Principal: "bob@x"}, {ID: "r4", Principal: "bob@x"},
		},
		Decisions: map[string]string{"r1": "approved", "r2": "denied", "r3": "approved", "r4": "approved"},
		Audit: Audit{
			Records: 12,
			Trails: map[string]*Trail{
				"r1": {Outcomes: []string{"approved"}, DecidedAt: t0, Issued: 1, Submitted: 1, Ended: 1, EndState: "SUCCEEDED"},
				"r2": {Outcomes: []string{"denied"}, DecidedAt: t0},
				"r3": {Outcomes: []string{"approved"}, DecidedAt: t0, Issued: 1, Rejections: []string{request.ReasonRevokedInFlight}},
				"r4": {Outcomes: []string{"approved"}, DecidedAt: t0, Issued: 1, Submitted: 1, Ended: 1, EndState: "CANCELLED"},
			},
			Revocations: map[string][]events.Revocation{"bob@x": {{FinishedAt: t0.Add(2 * time.Second)}}},
		},
		Workloads: []Workload{
			wl("r1", "SUCCEEDED", true, true, t0.Add(5*time.Second)),
			wl("r4", "CANCELLED", true, false, t0.Add(2*time.Second)),
		},
		Leavers:   map[string]time.Time{"bob@x": t0.Add(time.Second)},
		Delivered: 12,
		LateBound: time.Second,
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Run)
		want   []string // substrings of the problems, in order
	}{
		{"every promise kept", func(*Run) {}, nil},
		{"decision missing from the store", func(r *Run) { delete(r.Decisions, "r2") }, []string{"r2: no decision in the store"}},
		{"decided twice", func(r *Run) {
			r.Audit.Trails["r1"].Outcomes = []string{"approved", "approved"}
		}, []string{"r1: 2 decision events"}},
		{"audit and store disagree", func(r *Run) { r.Decisions["r2"] = "approved" }, []string{
			"r2: audit says denied, the store approved", "r2: approved and run without a credential.issued"}},
		{"two workloads for one request", func(r *Run) { r.Workloads = append(r.Workloads, r.Workloads[0]) }, []string{
			"r1: 2 Dataproc workloads", "r1: approved and submitted, 2 Dataproc workloads"}},
		{"workload of no request", func(r *Run) {
			r.Workloads = append(r.Workloads, Workload{Resource: "batches/zz", Request: "zz", Ended: true})
		}, []string{"batches/zz (iis-request=\"zz\") belongs to no request"}},
		{"denied request ran", func(r *Run) { r.Audit.Trails["r2"].Issued = 1 }, []string{"r2 (denied): 1 credentials"}},
		{"approved but never submitted", func(r *Run) {
			r.Audit.Trails["r1"].Submitted, r.Audit.Trails["r1"].Ended = 0, 0
		}, []string{"r1: approved, 0 job.submitted"}},
		{"job end not audited", func(r *Run) { r.Audit.Trails["r1"].Ended = 0 }, []string{"r1: 0 job.state_changed"}},
		{"unexpected rejection", func(r *Run) {
			r.Audit.Trails["r1"].Rejections = []string{"store_busy"}
		}, []string{`r1: rejected with reason "store_busy"`}},
		{"stopped in flight but not a leaver", func(r *Run) {
			r.Audit.Trails["r1"].Rejections = []string{request.ReasonRevokedInFlight}
		}, []string{"r1: stopped as principal_locked_in_flight, but alice@x never left"}},
		{"stopped in flight yet Dataproc runs it", func(r *Run) {
			r.Workloads = append(r.Workloads, Workload{Resource: "batches/r3", Request: dataproc.RequestLabel("r3"), State: "SUCCEEDED",
				Ended: true, Succeeded: true, StateAt: t0.Add(3 * time.Second)})
		}, []string{"r3: stopped in flight, no job.submitted in the audit trail, yet Dataproc has batches/r3",
			"leaver bob@x: workload batches/r3 ran to SUCCEEDED"}},
		{"leaver workload still running", func(r *Run) {
			r.Workloads[1].State, r.Workloads[1].Ended = "RUNNING", false
		}, []string{"leaver bob@x: workload batches/r4 still RUNNING"}},
		{"leaver workload ran on after revocation", func(r *Run) {
			r.Workloads[1].State, r.Workloads[1].Succeeded, r.Workloads[1].StateAt = "SUCCEEDED", true, t0.Add(3*time.Second)
		}, []string{"leaver bob@x: workload batches/r4 ran to SUCCEEDED"}},
		{"leaver workload ended before revocation", func(r *Run) {
			r.Workloads[1].State, r.Workloads[1].Succeeded, r.Workloads[1].StateAt = "SUCCEEDED", true, t0.Add(1500*time.Millisecond)
		}, nil},
		{"leaver never revoked", func(r *Run) { r.Audit.Revocations = nil }, []string{"leaver bob@x: no access.revoked"}},
		{"leaver approved within the bound", func(r *Run) {
			r.Audit.Trails["r3"].DecidedAt = t0.Add(1500 * time.Millisecond)
		}, nil},
		{"leaver approved beyond the bound", func(r *Run) {
			r.Audit.Trails["r3"].DecidedAt = t0.Add(3 * time.Second)
		}, []string{"r3: leaver bob@x approved 2s after the lock"}},
		{"chain broken", func(r *Run) { r.Breaks = []Break{{Seq: 7, Problem: "changed"}} }, []string{"audit chain: seq 7"}},
		{"identity event rejected", func(r *Run) {
			r.Audit.Rejected = []string{"user.deactivated.v1: schema_violation"}
		}, []string{"event rejected: user.deactivated.v1: schema_violation"}},
		{"record not delivered", func(r *Run) { r.Delivered = 11 }, []string{"audit topic: 11 of 12 chain records delivered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := goodRun()
			tt.change(&run)
			res := Check(run)
			if len(res.Problems) != len(tt.want) {
				t.Fatalf("Check() problems = %q, want %d matching %q", res.Problems, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(res.Problems[i], w) {
					t.Errorf("Check() problem %d = %q, want it to contain %q", i, res.Problems[i], w)
				}
			}
		})
	}
}

func TestCheckCounts(t *testing.T) {
	res := Check(goodRun())
	got := []int{res.Decided, res.OneDecision, res.Approved, res.Denied, res.Submitted, res.Ended, res.StoppedInFlight,
		res.Workloads, res.LeaverJobs, res.LeaverStopped, res.LeaversRevoked}
	want := []int{4, 4, 3, 1, 2, 2, 1, 2, 1, 1, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Check(goodRun()) counts = %v, want %v", got, want)
		}
	}
	var b strings.Builder
	res.Print(&b)
	if !strings.Contains(b.String(), "requests with exactly one decision event") {
		t.Errorf("Print() = %q, want the table", b.String())
	}
}
