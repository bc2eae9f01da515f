package dataproc

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock runs AfterFunc callbacks when Advance passes their time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	f  func()
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), f: f})
}

// Advance moves the clock and runs the callbacks that fall due, in time
// order, before returning.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due, rest []fakeTimer
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			due = append(due, t)
		} else {
			rest = append(rest, t)
		}
	}
	c.timers = rest
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

// harness starts waiters one at a time, each queued before the next starts,
// and reports grants in order.
type harness struct {
	t      *testing.T
	l      *Limiter
	clock  *fakeClock
	queued chan Priority
	order  chan string
}

func newHarness(t *testing.T, cfg LimiterConfig) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), queued: make(chan Priority, 1024), order: make(chan string, 1024)}
	cfg.Clock = h.clock
	l, err := NewLimiter(cfg)
	if err != nil {
		t.Fatalf("NewLimiter() = %v", err)
	}
	l.queued = func(_ string, p Priority) { h.queued <- p }
	h.l = l
	return h
}

// start launches a waiter and returns once it is queued.
func (h *harness) start(ctx context.Context, name, region string, p Priority) {
	go func() {
		if err := h.l.Wait(ctx, region, p); err != nil {
			h.order <- name + ":" + err.Error()
			return
		}
		h.order <- name
	}()
	<-h.queued
}

// grant advances the clock by d and returns the next grant.
func (h *harness) grant(d time.Duration) string {
	h.clock.Advance(d)
	return <-h.order
}

func (h *harness) noneGranted() {
	h.t.Helper()
	select {
	case g := <-h.order:
		h.t.Errorf("unexpected grant %q", g)
	default:
	}
}

func names(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

func TestLimiterServesCancelsFirst(t *testing.T) {
	h := newHarness(t, LimiterConfig{PerMinute: 60, Burst: 1}) // one call a second
	ctx := context.Background()
	if err := h.l.Wait(ctx, region, PrioritySubmit); err != nil { // spends the burst
		t.Fatalf("Wait() = %v", err)
	}
	for i := range 20 {
		h.start(ctx, fmt.Sprintf("submit-%d", i), region, PrioritySubmit)
	}
	for i := range 5 {
		h.start(ctx, fmt.Sprintf("cancel-%d", i), region, PriorityCancel)
	}
	h.noneGranted()
	var got []string
	for range 15 {
		got = append(got, h.grant(time.Second))
	}
	for i := 5; i < 8; i++ { // more cancels arrive behind 10 waiting submits
		h.start(ctx, fmt.Sprintf("cancel-%d", i), region, PriorityCancel)
	}
	for range 13 {
		got = append(got, h.grant(time.Second))
	}
	want := slices.Concat(names("cancel", 0, 5), names("submit", 0, 10), names("cancel", 5, 8), names("submit", 10, 20))
	if !slices.Equal(got, want) {
		t.Errorf("grant order =\n%v\nwant\n%v", got, want)
	}
	h.clock.Advance(time.Minute)
	h.noneGranted()
}

func TestLimiterUnderConcurrentLoad(t *testing.T) {
	h := newHarness(t, LimiterConfig{PerMinute: 400, Burst: 1})
	ctx := context.Background()
	if err := h.l.Wait(ctx, region, PrioritySubmit); err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	const submits, cancels = 300, 60
	var wg sync.WaitGroup
	for i := range submits + cancels {
		p, name := PrioritySubmit, "submit"
		if i%6 == 5 {
			p, name = PriorityCancel, "cancel"
		}
		wg.Go(func() {
			if err := h.l.Wait(ctx, region, p); err != nil {
				h.order <- "error"
				return
			}
			h.order <- name
		})
	}
	for range submits + cancels {
		<-h.queued
	}
	interval := time.Minute / 400
	var got []string
	for range submits + cancels {
		got = append(got, h.grant(interval))
	}
	wg.Wait()
	want := slices.Concat(slices.Repeat([]string{"cancel"}, cancels), slices.Repeat([]string{"submit"}, submits))
	if !slices.Equal(got, want) {
		t.Errorf("grant order = %v, want all %d cancels before the %d submits", got, cancels, submits)
	}
}

func TestLimiterBurstAndRate(t *testing.T) {
	h := newHarness(t, LimiterConfig{}) // 400 a minute, burst 20
	ctx := context.Background()
	for i := range 20 {
		if err := h.l.Wait(ctx, region, PrioritySubmit); err != nil {
			t.Fatalf("Wait(#%d) = %v", i, err)
		}
	}
	select {
	case <-h.queued:
		t.Fatal("a call within the burst waited")
	default:
	}
	h.start(ctx, "21st", region, PrioritySubmit)
	h.clock.Advance(time.Minute/400 - time.Nanosecond)
	h.noneGranted()
	if got := h.grant(time.Nanosecond); got != "21st" {
		t.Errorf("grant = %q, want 21st", got)
	}
	// Other regions have their own quota.
	if err := h.l.Wait(ctx, "europe-west1", PrioritySubmit); err != nil {
		t.Errorf("Wait(other region) = %v", err)
	}
	select {
	case <-h.queued:
		t.Error("a call in a fresh region waited")
	default:
	}
}

func TestLimiterContextCancel(t *testing.T) {
	h := newHarness(t, LimiterConfig{PerMinute: 60, Burst: 1})
	if err := h.l.Wait(context.Background(), region, PrioritySubmit); err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.start(ctx, "abandoned", region, PriorityCancel)
	h.start(context.Background(), "patient", region, PrioritySubmit)
	cancel()
	if got := <-h.order; !strings.HasPrefix(got, "abandoned:") {
		t.Fatalf("first result = %q, want the abandoned waiter's error", got)
	}
	if got := h.grant(time.Second); got != "patient" {
		t.Errorf("grant = %q, want patient (the abandoned waiter must not use the call)", got)
	}
	if n := h.l.Waiting(region, PriorityCancel) + h.l.Waiting(region, PrioritySubmit); n != 0 {
		t.Errorf("Waiting() = %d, want 0", n)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if err := h.l.Wait(done, region, PrioritySubmit); err == nil {
		t.Error("Wait(done context, no credit) = nil, want the context's error")
	}
}

func TestNewLimiterRejectsNegative(t *testing.T) {
	if _, err := NewLimiter(LimiterConfig{PerMinute: -1}); err == nil {
		t.Error("NewLimiter(PerMinute -1) = nil error")
	}
}

func BenchmarkLimiterWait(b *testing.B) {
	l, err := NewLimiter(LimiterConfig{PerMinute: 60_000_000_000}) // never waits: the fast path
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Wait(ctx, region, PrioritySubmit); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLimiterWaitParallel(b *testing.B) {
	l, err := NewLimiter(LimiterConfig{PerMinute: 60_000_000_000})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Wait(ctx, region, PrioritySubmit); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLimiterQueued measures the slow path: a call queues, the clock
// releases it, it wakes.
func BenchmarkLimiterQueued(b *testing.B) {
	clock := newFakeClock()
	l, err := NewLimiter(LimiterConfig{PerMinute: 60, Burst: 1, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	queued := make(chan struct{}, 1)
	l.queued = func(string, Priority) { queued <- struct{}{} }
	ctx := context.Background()
	if err := l.Wait(ctx, region, PrioritySubmit); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	b.ReportAllocs()
	for b.Loop() {
		go func() { done <- l.Wait(ctx, region, PriorityCancel) }()
		<-queued
		clock.Advance(time.Second)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}
