//go:build linux

package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storeopen"
	"github.com/dataproc-iis/iis/broker/transport"
)

// TestChaos runs the chaos scenario against real processes and
// checks the promises of many workers: see the package documentation.
func TestChaos(t *testing.T) {
	if os.Getenv("IIS_CHAOS") == "" {
		t.Skip("chaos test skipped: set IIS_CHAOS=1 (make test-chaos); it runs iis dev and 3 iis serve workers on PostgreSQL for a few minutes")
	}
	p := defaultParams(t)
	dsn := freshDatabase(t)
	dir := runDir(t)
	bin := buildIIS(t, dir)
	t.Logf("seed %d (IIS_CHAOS_SEED=%d repeats the schedule); process logs in %s", p.Seed, p.Seed, dir)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := startCluster(t, bin, dir, dsn, p)
	st, err := storeopen.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ps, err := transport.NewClient(ctx, "iis-dev", c.pubsub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	topo := transport.DefaultTopology()
	capture := filepath.Join(dir, "audit-capture.jsonl")
	col, err := collect(ctx, ps, topo.Audit, capture)
	if err != nil {
		t.Fatal(err)
	}
	c.startWorkers(t, p) // after the collector: it sees the chain from seq 1
	principals := append(append(p.engineers(), p.contractors()...), p.strangers()...)
	tokens, err := mintTokens(ctx, c.httpURL+"/oidc", principals)
	if err != nil {
		t.Fatal(err)
	}
	pub := transport.NewPublisher(ps)
	t.Cleanup(pub.Stop)

	rng := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(p.Seed, stream)) }
	eng := p.engineers()
	var leavers []string
	for _, i := range rng(1).Perm(len(eng))[:p.Leavers] {
		leavers = append(leavers, eng[i])
	}
	l := newLoad(p, rng(2), tokens, pub, topo.Requests)

	// The run: publish, kill and restart workers, deactivate the leavers
	// halfway through.
	start := time.Now()
	deadline := start.Add(p.Budget)
	runCtx, stopRun := context.WithDeadline(ctx, deadline)
	defer stopRun()
	var wg sync.WaitGroup
	var killEvents, kills int
	var chaosErrs []error
	wg.Go(func() {
		killEvents, kills, chaosErrs = unleash(runCtx, c, rng(3), thresholds(rng(4), p.KillEvents, p.Requests), col.decided)
	})
	var lockedAt map[string]time.Time
	var leaveErr error
	wg.Go(func() { lockedAt, leaveErr = leaveHalfway(runCtx, c, leavers, p.Requests/2, col.decided) })
	if err := l.run(runCtx, col.decisionAt); err != nil {
		t.Error(err)
	}
	wg.Wait()
	for _, err := range append(chaosErrs, leaveErr) {
		if err != nil {
			t.Error(err)
		}
	}
	for _, w := range c.workers {
		if !w.running() {
			if err := w.start(); err != nil {
				t.Error(err)
			}
		}
	}

	// Quiet: everything decided, ended, revoked and delivered; every
	// cluster running or gone.
	all := append(append(append([]Request{}, l.Requests...), l.ClusterRequests...), l.AccessRequests...)
	if err := quiesce(ctx, st, all, len(lockedAt), col, deadline); err != nil {
		t.Error(err)
	}
	elapsed := time.Since(start)
	trail, delivered, err := settle(ctx, st, col, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	run := Run{Requests: l.Requests, Decisions: map[string]string{}, Leavers: lockedAt, LateBound: p.LateBound,
		Breaks: VerifyChain(trail), Delivered: delivered, ClusterRequests: l.ClusterRequests, AccessRequests: l.AccessRequests}
	if run.Audit, err = ReadAudit(trail); err != nil {
		t.Fatal(err)
	}
	if run.Decisions, err = decisions(ctx, st, all); err != nil {
		t.Fatal(err)
	}
	if run.Workloads, err = listWorkloads(ctx, c.iam, c.dataproc); err != nil {
		t.Fatal(err)
	}
	if run.Clusters, run.LeaverBindings, err = listClusters(ctx, c.iam, c.dataproc, lockedAt); err != nil {
		t.Fatal(err)
	}
	res := Check(run)

	var b strings.Builder
	fmt.Fprintf(&b, "chaos run, seed %d: %d workers on PostgreSQL, %d requests (%d jobs, %d clusters, then %d access requests) from %d principals, %d published twice (%d messages);\n",
		p.Seed, p.Workers, p.Requests, len(l.Requests), len(l.ClusterRequests), len(l.AccessRequests), len(principals),
		int(float64(p.Requests)*p.DupFraction+0.5), l.Published.Load())
	fmt.Fprintf(&b, "%d kill events (%d SIGKILLs, each restarted); %d leavers deactivated over SCIM at %d decisions; quiet after %v (%.0f requests/s)\n\n",
		killEvents, kills, len(lockedAt), p.Requests/2, elapsed.Round(100*time.Millisecond), float64(p.Requests)/elapsed.Seconds())
	res.Print(&b)
	t.Log("\n" + b.String())

	for i, pr := range res.Problems {
		if i == 40 {
			t.Errorf("... and %d more problems", len(res.Problems)-i)
			break
		}
		t.Error(pr)
	}
	if err := col.flush(); err != nil {
		t.Error(err)
	}
	verifyWithCLI(t, bin, dsn, capture, filepath.Join(dir, "data"))
	for _, pr := range append([]*proc{c.dev}, c.workers...) {
		if _, _, unwanted := pr.counts(); len(unwanted) > 0 {
			t.Errorf("%s", strings.Join(unwanted, "; "))
		}
	}
	truncateBehindTheBroker(t, ctx, c, st)
}

// runDir holds the data directory and the process logs; it is kept when the
// test fails (or IIS_CHAOS_KEEP is set) so that the logs can be read.
func runDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "iis-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("IIS_CHAOS_KEEP") != "" {
			t.Logf("kept the process logs in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// quiesce waits until every request is processed, no job is active, every
// cluster not ended is RUNNING and not being deleted (a leaver's are
// gone), and every deactivation had its outcome (access revoked, or
// rejected) audited.
func quiesce(ctx context.Context, st store.Store, reqs []Request, leavers int, col *collector, deadline time.Time) error {
	pending := map[string]bool{}
	for _, r := range reqs {
		pending[r.ID] = true
	}
	for {
		var active []store.Job
		var clusters []store.Cluster
		err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
			for id := range pending {
				done, err := tx.IsProcessed(ctx, store.EventKey(requestSource, id))
				if err != nil {
					return err
				}
				if done {
					delete(pending, id)
				}
			}
			var err error
			if active, err = tx.ListActiveJobs(ctx, time.Now().Add(24*time.Hour), 0); err != nil {
				return err
			}
			clusters, err = tx.ListActiveClusters(ctx)
			return err
		})
		if err != nil {
			return err
		}
		moving := 0 // clusters not yet running, or on their way out
		for _, c := range clusters {
			if c.State != "RUNNING" || c.DeleteReason != "" {
				moving++
			}
		}
		settled := col.deactivations()
		if len(pending) == 0 && len(active) == 0 && moving == 0 && settled >= leavers {
			return nil
		}
		if time.Now().After(deadline) {
			var some []string
			for id := range pending {
				if some = append(some, id); len(some) == 5 {
					break
				}
			}
			return fmt.Errorf("not quiet within the budget: %d requests unprocessed (e.g. %v), %d jobs active, %d clusters not running, %d of %d deactivations audited",
				len(pending), some, len(active), moving, settled, leavers)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// settle reads the audit chain until the audit topic has delivered every
// record of it (or timeout), and returns the chain and how many of its
// records were delivered.
func settle(ctx context.Context, st store.Store, col *collector, timeout time.Duration) ([]store.OutboxMessage, int, error) {
	deadline := time.Now().Add(timeout)
	for {
		// Chain what has committed, as every relay does: a record
		// committed just before the run went quiet (a job the watcher
		// saw end at that moment) may not be chained yet.
		if _, err := audit.Sequence(ctx, st, 0); err != nil {
			return nil, 0, err
		}
		trail, err := st.AuditTrail(ctx, 0, 0)
		if err != nil {
			return nil, 0, err
		}
		ids := make([]string, len(trail))
		for i, r := range trail {
			ids[i] = r.EventID
		}
		missing := col.missing(ids)
		if len(missing) == 0 || time.Now().After(deadline) {
			return trail, len(trail) - len(missing), nil
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// decisions reads the recorded outcome of every request.
func decisions(ctx context.Context, st store.Store, reqs []Request) (map[string]string, error) {
	out := map[string]string{}
	err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range reqs {
			d, err := tx.GetDecision(ctx, store.EventKey(requestSource, r.ID))
			if err == nil {
				out[r.ID] = d.Outcome
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	return out, err
}
