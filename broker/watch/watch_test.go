package watch_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
	"github.com/dataproc-iis/iis/broker/watch"
)

// countingDataproc answers every poll with RUNNING and counts the polls
// per workload; each poll takes a little while, as a real call does.
type countingDataproc struct {
	mu    sync.Mutex
	polls map[string]int
}

func (d *countingDataproc) State(ctx context.Context, _ dataproc.Caller, sub dataproc.Submission) (string, bool, string, error) {
	time.Sleep(2 * time.Millisecond)
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
	err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range jobs {
			id := fmt.Sprintf("r%03d", i)
			sub := dataproc.Expected(store.EventKey("//test", id), dataproc.Target{Project: "p", Region: "europe-west1"})
			if err := tx.PutJob(ctx, store.Job{RequestID: id, Principal: "alice", Kind: sub.Kind, Project: sub.Project,
				Region: sub.Region, DataprocID: sub.DataprocID, Resource: sub.Resource, State: "PENDING"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
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
