package dataprocserver

import (
	"testing"
	"time"
)

func TestRunHistory(t *testing.T) {
	timing := Timing{Pending: time.Minute, Running: 10 * time.Minute, Cancel: 30 * time.Second}
	at := func(d time.Duration) time.Time { return epoch.Add(d) }
	tests := []struct {
		name     string
		run      run
		now      time.Duration
		want     phase
		previous int
	}{
		{"just created", run{created: epoch, timing: timing}, 0, phasePending, 0},
		{"running", run{created: epoch, timing: timing}, time.Minute, phaseRunning, 1},
		{"succeeded", run{created: epoch, timing: timing}, 11 * time.Minute, phaseSucceeded, 2},
		{"failed", run{created: epoch, timing: timing, failure: "boom"}, time.Hour, phaseFailed, 2},
		{"cancelling while running", run{created: epoch, timing: timing, cancelAt: at(2 * time.Minute)}, 2 * time.Minute, phaseCancelling, 2},
		{"cancelled while running", run{created: epoch, timing: timing, cancelAt: at(2 * time.Minute)}, time.Hour, phaseCancelled, 3},
		{"cancelled while pending skips running", run{created: epoch, timing: timing, cancelAt: at(time.Second)}, time.Hour, phaseCancelled, 2},
		{"clock before creation", run{created: epoch, timing: timing}, -time.Hour, phasePending, 0},
		{"zero timing ends at once", run{created: epoch}, 0, phaseSucceeded, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.run.history(at(tt.now))
			if got := h[len(h)-1].phase; got != tt.want {
				t.Errorf("history(+%v) current = %v, want %v", tt.now, got, tt.want)
			}
			if got := len(h) - 1; got != tt.previous {
				t.Errorf("history(+%v) has %d previous states, want %d", tt.now, got, tt.previous)
			}
		})
	}
}

func TestRunCancel(t *testing.T) {
	r := run{created: epoch, timing: Timing{Running: time.Minute, Cancel: time.Second}}
	if !r.cancel(epoch.Add(10 * time.Second)) {
		t.Fatal("cancel(running) = false, want true")
	}
	if !r.cancel(epoch.Add(10*time.Second + time.Millisecond)) {
		t.Fatal("cancel(cancelling) = false, want true (idempotent)")
	}
	if want := epoch.Add(10 * time.Second); !r.cancelAt.Equal(want) {
		t.Errorf("cancelAt = %v, want the first request %v", r.cancelAt, want)
	}
	if r.cancel(epoch.Add(time.Hour)) {
		t.Error("cancel(cancelled) = true, want false")
	}
	done := run{created: epoch, timing: Timing{Running: time.Minute}}
	if done.cancel(epoch.Add(time.Hour)) {
		t.Error("cancel(succeeded) = true, want false")
	}
}
