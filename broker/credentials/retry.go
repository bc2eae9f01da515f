package credentials

import (
	"context"
	"math/rand/v2"
	"time"
)

// Retry bounds the retries of transient IAM errors: exponential backoff with
// jitter, a fixed number of attempts.
type Retry struct {
	Attempts int           // total attempts, first included; default 5
	Initial  time.Duration // backoff ceiling before the second attempt; default 200ms
	Max      time.Duration // largest backoff ceiling; default 5s
}

func (r Retry) withDefaults() Retry {
	if r.Attempts == 0 {
		r.Attempts = 5
	}
	if r.Initial == 0 {
		r.Initial = 200 * time.Millisecond
	}
	if r.Max == 0 {
		r.Max = 5 * time.Second
	}
	return r
}

// backoff returns the wait after failed attempt n (1-based): a random
// duration in [ceiling/2, ceiling], the ceiling doubling from Initial up to Max.
func (r Retry) backoff(n int) time.Duration {
	ceiling := r.Initial
	for i := 1; i < n && ceiling < r.Max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, r.Max)
	half := ceiling / 2
	return half + rand.N(ceiling-half+1)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
