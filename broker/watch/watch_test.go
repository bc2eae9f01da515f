package watch_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/events"
)

// countingDataproc answers every poll with RUNNING and counts the polls
// per workload; each poll takes a little while, as a real call does.
type countingDataproc struct {
	mu     sync.Mutex
	polls  map[string]int
	during func() // runs in each poll, before the answer
}

func (d *countingDataproc) State(ctx context.Context, _ dataproc.Caller, sub dataproc.Submission) (string, bool, string, error) {
	time.Sleep(2 * time.Millisecond)
	if d.during != nil {
		d.during()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.polls[sub.Resource]++
	return "RUNNING", false, "", nil
}

func (d *countingDataproc) Cancel(context.Context, dataproc.Caller, dataproc.Submission) error {
	return nil
}

// TestWatchersShareJobs: watchers on several workers share one store; each
// due job is polled by one of them, not by all.
func TestWatchersShareJobs(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	const jobs = 60
	putJobs(t, st, jobs, "PENDING")
	dp := &countingDataproc{polls: map[string]int{}}
	var changed atomic.Int64
	var wg sync.WaitGroup
	for range 3 {
		w, err := watch.New(watch.Config{Source: "//test", Batch: 7, MinBackoff: time.Hour}, st,
			audit.Log{Topic: "audit"}, dp, watch.StaticCaller("t"), nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for {
				n, err := w.Poll(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
				changed.Add(int64(n))
			}
		})
	}
	wg.Wait()
	if changed.Load() != jobs || len(dp.polls) != jobs {
		t.Errorf("%d state changes over %d workloads, want %d each", changed.Load(), len(dp.polls), jobs)
	}
	for r, n := range dp.polls {
		if n != 1 {
			t.Errorf("%s polled %d times, want once", r, n)
		}
	}
}

// putJobs stores n running batches r000, r001, ... in state.
func putJobs(t *testing.T, st store.Store, n int, state string) {
	t.Helper()
	err := st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for i := range n {
			id := fmt.Sprintf("r%03d", i)
			sub := dataproc.Expected(store.EventKey("//test", id), dataproc.Target{Project: "p", Region: "europe-west1"})
			if err := tx.PutJob(ctx, store.Job{RequestID: id, Principal: "alice", Kind: sub.Kind, Project: sub.Project,
				Region: sub.Region, DataprocID: sub.DataprocID, Resource: sub.Resource, State: state}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCancellingIsKept: a cascade marks a job CANCELLING while a watcher
// polls it and Dataproc still says RUNNING. The watcher keeps CANCELLING
// and makes the job due again at once, instead of writing back the state
// it claimed and backing off.
func TestCancellingIsKept(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	putJobs(t, st, 1, "RUNNING")
	now := time.Now()
	dp := &countingDataproc{polls: map[string]int{}, during: func() {
		err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.UpdateJobState(ctx, "r000", "CANCELLING", false, now, "")
			return err
		})
		if err != nil {
			t.Error(err)
		}
	}}
	w, err := watch.New(watch.Config{Source: "//test", MinBackoff: time.Hour}, st, audit.Log{Topic: "audit"}, dp, watch.StaticCaller("t"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if j := getJob(t, st, "r000"); j.State != "CANCELLING" || j.NextPollAt.After(time.Now()) {
		t.Errorf("after the poll: %s, next poll in %v; want CANCELLING, due now", j.State, time.Until(j.NextPollAt).Round(time.Second))
	}
}

// endingDataproc reports every workload ended in state.
type endingDataproc struct{ state string }

func (d endingDataproc) State(context.Context, dataproc.Caller, dataproc.Submission) (string, bool, string, error) {
	return d.state, true, "Batch " + d.state, nil
}

func (endingDataproc) Cancel(context.Context, dataproc.Caller, dataproc.Submission) error { return nil }

// TestEndAfterCancelIsReported: a job the broker marked CANCELLING (its
// cancel was accepted) that then ends SUCCEEDED is reported as such, caused
// by the job's last event, not as a cancel that worked.
func TestEndAfterCancelIsReported(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	putJobs(t, st, 1, "CANCELLING")
	err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.UpdateJobState(ctx, "r000", "CANCELLING", false, time.Now(), "ev-cancel")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := watch.New(watch.Config{Source: "//test"}, st, audit.Log{Topic: "audit"}, endingDataproc{"SUCCEEDED"}, watch.StaticCaller("t"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("Poll() = %d, %v; want 1 change", n, err)
	}
	if _, err := audit.Sequence(ctx, st, 0); err != nil {
		t.Fatal(err)
	}
	recs, err := st.AuditTrail(ctx, 0, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("AuditTrail = %d records, %v; want 1", len(recs), err)
	}
	ev, err := events.Decode(events.Message{Data: recs[0].Data, Attributes: recs[0].Attributes})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := events.DecodeStateChange(ev)
	if err != nil || sc.State != "SUCCEEDED" || !strings.Contains(sc.Detail, "ended SUCCEEDED before the cancel took effect") {
		t.Errorf("state change = %+v (%v), want SUCCEEDED that says it ended before the cancel took effect", sc, err)
	}
	if got := ev.Extensions()[events.ExtCausationID]; got != "ev-cancel" {
		t.Errorf("causationid = %v, want the job's last event ev-cancel", got)
	}
}

// holdingDataproc reports CANCELLING; during the poll a canceller holds
// the job, as a cascade does between its Cancel call and recording it.
type holdingDataproc struct{ during func() }

func (d holdingDataproc) State(context.Context, dataproc.Caller, dataproc.Submission) (string, bool, string, error) {
	d.during()
	return "CANCELLING", false, "", nil
}

func (holdingDataproc) Cancel(context.Context, dataproc.Caller, dataproc.Submission) error {
	return nil
}

// TestHeldJobIsLeftToItsCanceller: a watcher that claimed a job before a
// canceller held it sees the CANCELLING the cancel caused, and leaves the
// recording to the canceller, so that the trail reads the cause before
// the change. Once the hold is released, the next poll records what is
// still unrecorded.
func TestHeldJobIsLeftToItsCanceller(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	putJobs(t, st, 1, "RUNNING")
	var release func()
	dp := holdingDataproc{during: func() {
		if release == nil {
			release = watch.Hold(ctx, st, []string{"r000"}, time.Now)
		}
	}}
	w, err := watch.New(watch.Config{Source: "//test", MinBackoff: time.Millisecond}, st, audit.Log{Topic: "audit"}, dp, watch.StaticCaller("t"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.Poll(ctx); err != nil || n != 0 {
		t.Fatalf("poll during the hold: %d changes, %v; want none", n, err)
	}
	j := getJob(t, st, "r000")
	if j.State != "RUNNING" || time.Until(j.NextPollAt) < watch.CancelHold/2 {
		t.Fatalf("during the hold: %s, next poll in %v; want RUNNING, held", j.State, time.Until(j.NextPollAt).Round(time.Second))
	}
	if n, _ := w.Poll(ctx); n != 0 {
		t.Fatalf("a held job was polled: %d changes", n)
	}
	release()
	if n, err := w.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("poll after the release: %d changes, %v; want the CANCELLING recorded", n, err)
	}
	if j := getJob(t, st, "r000"); j.State != "CANCELLING" {
		t.Errorf("after the release: %s, want CANCELLING", j.State)
	}
}

func getJob(t *testing.T, st store.Store, id string) store.Job {
	t.Helper()
	var j store.Job
	err := st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		j, err = tx.GetJob(ctx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}
