package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy bounds the retries of transient errors.
type Policy struct {
	Attempts int           // total attempts, first included
	Initial  time.Duration // backoff ceiling before the second attempt
	Max      time.Duration // largest backoff ceiling
}

// Or returns p with its zero fields taken from def.
func (p Policy) Or(def Policy) Policy {
	if p.Attempts == 0 {
		p.Attempts = def.Attempts
	}
	if p.Initial == 0 {
		p.Initial = def.Initial
	}
	if p.Max == 0 {
		p.Max = def.Max
	}
	return p
}

// Delay returns the wait after failed attempt n (1-based): a random
// duration in [ceiling/2, ceiling], the ceiling doubling from Initial up to Max.
func (p Policy) Delay(n int) time.Duration {
	ceiling := p.Initial
	for i := 1; i < n && ceiling < p.Max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.Max)
	half := ceiling / 2
	return half + rand.N(ceiling-half+1)
}

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
