//go:build linux

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// unleash SIGKILLs workers as the run progresses: once decided() reaches
// each threshold, one or two running workers are killed (no shutdown, no
// drain: transactions and unacked messages are cut off wherever they are)
// and each is restarted after a random pause. It returns when every
// threshold has passed and every restart has happened, or ctx is done.
func unleash(ctx context.Context, c *cluster, rng *rand.Rand, thresholds []int, decided func() int) (events, kills int, errs []error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	defer wg.Wait()
	for _, th := range thresholds {
		for decided() < th {
			select {
			case <-ctx.Done():
				return events, kills, append(errs, fmt.Errorf("chaos: threshold %d never reached: %w", th, ctx.Err()))
			case <-time.After(20 * time.Millisecond):
			}
		}
		time.Sleep(time.Duration(rng.Int64N(int64(300 * time.Millisecond)))) // anywhere in a message's life
		var up []*proc
		for _, w := range c.workers {
			if w.running() {
				up = append(up, w)
			}
		}
		rng.Shuffle(len(up), func(i, j int) { up[i], up[j] = up[j], up[i] })
		n := 1
		if rng.IntN(3) == 0 {
			n = 2
		}
		for _, w := range up[:min(n, len(up))] {
			w.kill()
			kills++
			pause := 200*time.Millisecond + time.Duration(rng.Int64N(int64(1800*time.Millisecond)))
			wg.Go(func() {
				select {
				case <-time.After(pause):
				case <-ctx.Done():
					return
				}
				if err := w.start(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		events++
	}
	return events, kills, errs
}

// thresholds returns n progress points spread at random over the middle of
// a run of total requests.
func thresholds(rng *rand.Rand, n, total int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = total/20 + rng.IntN(total*87/100)
	}
	slices.Sort(out)
	return out
}
