package backoff

import (
	"context"
	"testing"
	"time"
)

func TestOrAndDelay(t *testing.T) {
	p := Policy{Initial: 100 * time.Millisecond}.Or(Policy{Attempts: 5, Initial: time.Second, Max: time.Second})
	if p != (Policy{Attempts: 5, Initial: 100 * time.Millisecond, Max: time.Second}) {
		t.Fatalf("Or() = %+v", p)
	}
	for n, ceiling := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		ceiling *= time.Millisecond
		if d := p.Delay(n + 1); d < ceiling/2 || d > ceiling {
			t.Errorf("Delay(%d) = %v, want within [%v, %v]", n+1, d, ceiling/2, ceiling)
		}
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err == nil {
		t.Error("Sleep(cancelled, 1h) = nil, want the context's error")
	}
}
