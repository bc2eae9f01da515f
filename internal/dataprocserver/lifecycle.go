package dataprocserver

import "time"

// phase is a workload state common to jobs and batches; each API maps it to
// its own enum.
type phase int

const (
	phasePending phase = iota
	phaseRunning
	phaseCancelling
	phaseSucceeded
	phaseFailed
	phaseCancelled
)

func (p phase) terminal() bool {
	return p == phaseSucceeded || p == phaseFailed || p == phaseCancelled
}

// Timing is how long a workload stays in each state.
type Timing struct {
	Pending time.Duration // PENDING before RUNNING
	Running time.Duration // RUNNING before its outcome
	Cancel  time.Duration // from a cancel request to CANCELLED
}

// DefaultTiming is used when Config.Timing is zero: quick enough for a demo,
// slow enough to watch.
var DefaultTiming = Timing{Pending: 2 * time.Second, Running: 10 * time.Second, Cancel: time.Second}

// transition is a state entered at a time.
type transition struct {
	phase phase
	at    time.Time
	msg   string
}

// run is the life of one workload. Its state is never stored: it is computed
// from the creation time, the outcome fixed at creation and the cancel time.
type run struct {
	created  time.Time
	timing   Timing
	failure  string    // non-empty: the workload ends failed with this message
	cancelAt time.Time // zero when no cancel was requested
}

// history lists the transitions that happened up to now, oldest first. The
// last one is the current state.
func (r *run) history(now time.Time) []transition {
	runAt := r.created.Add(r.timing.Pending)
	endAt := runAt.Add(r.timing.Running)
	all := []transition{{phase: phasePending, at: r.created}}
	if r.cancelAt.IsZero() {
		all = append(all, transition{phase: phaseRunning, at: runAt})
		if r.failure != "" {
			all = append(all, transition{phase: phaseFailed, at: endAt, msg: r.failure})
		} else {
			all = append(all, transition{phase: phaseSucceeded, at: endAt})
		}
	} else {
		if !r.cancelAt.Before(runAt) {
			all = append(all, transition{phase: phaseRunning, at: runAt})
		}
		all = append(all,
			transition{phase: phaseCancelling, at: r.cancelAt, msg: "Cancellation requested."},
			transition{phase: phaseCancelled, at: r.cancelAt.Add(r.timing.Cancel), msg: "Cancelled by request."})
	}
	n := 0
	for n < len(all) && !all[n].at.After(now) {
		n++
	}
	if n == 0 { // a clock moved backwards: the workload has only just been created
		n = 1
	}
	return all[:n]
}

// current is the state at now.
func (r *run) current(now time.Time) transition {
	h := r.history(now)
	return h[len(h)-1]
}

// cancel requests cancellation at now. It reports false when the workload has
// already ended; a repeated request keeps the first cancel time.
func (r *run) cancel(now time.Time) bool {
	if r.current(now).phase.terminal() {
		return false
	}
	if r.cancelAt.IsZero() {
		r.cancelAt = now
	}
	return true
}
