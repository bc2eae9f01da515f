package chaos

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Print writes the counts as a table: each check with what was found and,
// where there is one, what it must be.
func (r Result) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, got any, want any) {
		fmt.Fprintf(tw, "%s\t%v\t%v\t\n", name, got, want)
	}
	fmt.Fprintln(tw, "check\tgot\twant\t")
	row("requests with a decision in the store", r.Decided, r.Requests)
	row("requests with exactly one decision event", r.OneDecision, r.Requests)
	row("  approved / denied", fmt.Sprintf("%d / %d", r.Approved, r.Denied), "")
	row("approved: submitted once, one workload", r.Submitted, "")
	row("approved: job ended and audited", r.Ended, r.Submitted)
	row("approved: stopped in flight (leaver)", r.StoppedInFlight, "")
	row("approved: repeat delivery stopped in flight", r.StoppedRepeat, "")
	row("approved: credential issued more than once", r.Reissued, "")
	row("Dataproc workloads (API)", r.Workloads, r.Submitted)
	row("requests with more than one workload", r.MultiWorkload, 0)
	row("workloads of no request", r.Orphans, 0)
	row("leavers with access.revoked", r.LeaversRevoked, r.Leavers)
	row("leaver workloads", r.LeaverJobs, "")
	row("  cancelled or failed", r.LeaverStopped, "")
	row("  found unrecorded and cancelled by the cascade", r.LeaverFound, "")
	row("  still pending or running", r.LeaverActive, 0)
	row("  ran to success after the revocation", r.LeaverRanOn, 0)
	row("leaver requests approved after the lock", r.LateApprovals, "")
	row("  longest lag", r.MaxLate.Round(time.Millisecond), "")
	row("audit chain records", r.AuditRecords, "")
	row("  breaks (gap, bad link, changed record)", r.ChainBreaks, 0)
	row("  delivered on the audit topic", r.Delivered, r.AuditRecords)
	row("problems", len(r.Problems), 0)
	tw.Flush()
}
