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
	c := r.Clusters
	row("cluster requests with one decision", c.OneDecision, c.Requests)
	row("  approved / stopped in flight (leaver)", fmt.Sprintf("%d / %d", c.Approved, c.StoppedInFlight), "")
	row("  created once (cluster.created)", c.Created, "")
	row("  requests with more than one cluster", c.Duplicates, 0)
	row("clusters in Dataproc at the end", c.InDataproc, "")
	row("  of no request", c.Orphans, 0)
	row("leavers' clusters created", c.LeaverClusters, "")
	row("  still in Dataproc", c.LeaverLeft, 0)
	row("leavers still bound in a cluster's IAM policy", c.LeaverBindings, 0)
	row("access requests with one decision", c.AccessDecided, c.Access)
	row("  granted", c.AccessGranted, "")
	row("problems", len(r.Problems), 0)
	tw.Flush()
}
