package dataproc

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Priority is the class of a call waiting for the rate limiter. Waiting
// cancels are always served before waiting submits.
type Priority int

const (
	// PrioritySubmit is for CreateBatch and SubmitJob.
	PrioritySubmit Priority = iota
	// PriorityCancel is for CancelOperation and CancelJob.
	PriorityCancel
)

// DefaultPerMinute is Dataproc's default quota of submit and cancel calls
// per minute and region, shared by every caller in the project.
const DefaultPerMinute = 400

// Clock tells the limiter the time and wakes it up; tests pass a manual clock.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d.
	AfterFunc(d time.Duration, f func())
}

type systemClock struct{}

func (systemClock) Now() time.Time                      { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }

// LimiterConfig configures a Limiter. The zero value is Dataproc's default quota.
type LimiterConfig struct {
	// PerMinute is the sustained rate per region; default DefaultPerMinute.
	PerMinute int
	// Burst is how many calls may go at once after a quiet spell; default
	// PerMinute/20 (20 for the default), at least 1. A small burst keeps any
	// 60-second window close to PerMinute.
	Burst int
	// Clock defaults to the system clock.
	Clock Clock
}

// Limiter paces calls per region with a token bucket and serves waiting
// calls by priority, then in arrival order. It is safe for concurrent use.
type Limiter struct {
	interval time.Duration // cost of one call: a minute / PerMinute
	capacity time.Duration // burst * interval
	clock    Clock

	mu      sync.Mutex
	regions map[string]*bucket

	// queued, when set (tests), is called after a call starts waiting.
	queued func(region string, p Priority)
}

// bucket is the state of one region. credit is time-denominated: a call
// costs interval, and credit grows with the clock up to capacity.
type bucket struct {
	credit  time.Duration
	last    time.Time
	waiting [2][]*waiter // by Priority
	armed   bool         // a wake-up is scheduled
}

type waiter struct {
	ready   chan struct{}
	granted bool
}

// NewLimiter returns a limiter; every region starts with a full burst.
func NewLimiter(cfg LimiterConfig) (*Limiter, error) {
	if cfg.PerMinute < 0 || cfg.Burst < 0 {
		return nil, errors.New("dataproc: negative rate limit")
	}
	if cfg.PerMinute == 0 {
		cfg.PerMinute = DefaultPerMinute
	}
	if cfg.Burst == 0 {
		cfg.Burst = max(1, cfg.PerMinute/20)
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	interval := time.Minute / time.Duration(cfg.PerMinute)
	if interval <= 0 {
		return nil, errors.New("dataproc: rate limit above one call per nanosecond")
	}
	return &Limiter{
		interval: interval,
		capacity: interval * time.Duration(cfg.Burst),
		clock:    cfg.Clock,
		regions:  make(map[string]*bucket),
	}, nil
}

// Wait blocks until a call of class p may go to region, or ctx is done.
func (l *Limiter) Wait(ctx context.Context, region string, p Priority) error {
	if p != PriorityCancel {
		p = PrioritySubmit
	}
	l.mu.Lock()
	b := l.bucket(region)
	now := l.clock.Now()
	b.refill(now, l.capacity)
	if b.credit >= l.interval && len(b.waiting[PriorityCancel]) == 0 && (p == PriorityCancel || len(b.waiting[PrioritySubmit]) == 0) {
		b.credit -= l.interval // nobody ahead: go now
		l.mu.Unlock()
		return nil
	}
	if err := ctx.Err(); err != nil {
		l.mu.Unlock()
		return err
	}
	w := &waiter{ready: make(chan struct{})}
	b.waiting[p] = append(b.waiting[p], w)
	l.dispatch(b, now)
	l.mu.Unlock()
	if l.queued != nil {
		l.queued(region, p)
	}

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		if w.granted { // granted while giving up: hand the call to the next in line
			b.credit = min(b.credit+l.interval, l.capacity)
			l.dispatch(b, l.clock.Now())
		} else {
			q := b.waiting[p]
			for i, x := range q {
				if x == w {
					b.waiting[p] = append(q[:i:i], q[i+1:]...)
					break
				}
			}
		}
		return ctx.Err()
	}
}

// Waiting returns how many calls of class p wait for region.
func (l *Limiter) Waiting(region string, p Priority) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.regions[region]; ok {
		return len(b.waiting[p])
	}
	return 0
}

func (l *Limiter) bucket(region string) *bucket {
	b, ok := l.regions[region]
	if !ok {
		b = &bucket{credit: l.capacity, last: l.clock.Now()}
		l.regions[region] = b
	}
	return b
}

func (b *bucket) refill(now time.Time, capacity time.Duration) {
	if d := now.Sub(b.last); d > 0 {
		b.credit = min(b.credit+d, capacity)
	}
	b.last = now
}

// dispatch grants the credit to waiting calls, cancels first, and schedules
// a wake-up for the rest. l.mu must be held.
func (l *Limiter) dispatch(b *bucket, now time.Time) {
	b.refill(now, l.capacity)
	for b.credit >= l.interval {
		var w *waiter
		for _, p := range []Priority{PriorityCancel, PrioritySubmit} {
			if len(b.waiting[p]) > 0 {
				w, b.waiting[p] = b.waiting[p][0], b.waiting[p][1:]
				break
			}
		}
		if w == nil {
			return
		}
		b.credit -= l.interval
		w.granted = true
		close(w.ready)
	}
	if b.armed || len(b.waiting[PriorityCancel])+len(b.waiting[PrioritySubmit]) == 0 {
		return
	}
	b.armed = true
	l.clock.AfterFunc(l.interval-b.credit, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		b.armed = false
		l.dispatch(b, l.clock.Now())
	})
}
