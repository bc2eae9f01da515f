package approval_test

import (
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
)

// log is an ordered record of events that tests wait on.
type log struct {
	mu     sync.Mutex
	events []event.Event
}

func (l *log) add(e event.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// await returns the first event that match accepts, waiting for it.
func (l *log) await(t testing.TB, what string, match func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		for _, e := range l.events {
			if match(e) {
				l.mu.Unlock()
				return e
			}
		}
		l.mu.Unlock()
		time.Sleep(5 * time.Millisecond) // the log has no notification; events arrive within milliseconds
	}
	t.Fatalf("no %s within %v", what, wait)
	return event.Event{}
}

// of returns the events of request id so far, in arrival order.
func (l *log) of(id string) []event.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []event.Event
	for _, e := range l.events {
		if e.Extensions()[events.ExtRequestID] == id {
			out = append(out, e)
		}
	}
	return out
}
