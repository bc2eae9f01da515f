package dataproc

import (
	"github.com/dataproc-iis/iis/broker/fault"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

// stateAt advances the servers' clock by d and returns the workload's state.
func (e *env) stateAt(t *testing.T, c Caller, sub Submission, d time.Duration) (string, bool, string) {
	t.Helper()
	e.clock.Advance(d)
	state, ended, detail, err := e.sub.State(e.ctx, c, sub)
	if err != nil {
		t.Fatalf("State(+%v) = %v", d, err)
	}
	return state, ended, detail
}

// token is a Caller with a bare token (the broker's own identity).
type token string

func (t token) AccessToken() string { return string(t) }

func TestCancel(t *testing.T) {
	for _, target := range []Target{batchTarget, jobTarget} {
		t.Run(target.Cluster, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			sa := etlSA
			if target.Cluster != "" {
				sa = clusterSA
			}
			cred := e.mint(t, sa)
			sub, err := e.sub.Submit(e.ctx, cred, sparkRequest("to-cancel", target))
			if err != nil {
				t.Fatalf("Submit() = %v", err)
			}
			e.clock.Advance(2 * time.Minute)
			if err := e.sub.Cancel(e.ctx, cred, sub); err != nil {
				t.Fatalf("Cancel() = %v", err)
			}
			if state, ended, _ := e.stateAt(t, cred, sub, 0); state != StateCancelling || ended {
				t.Errorf("State() after Cancel = %q, %v; want cancelling", state, ended)
			}
			if state, ended, _ := e.stateAt(t, cred, sub, 30*time.Second); state != StateCancelled || !ended {
				t.Errorf("State() after the cancel delay = %q, %v; want cancelled, ended", state, ended)
			}
			err = e.sub.Cancel(e.ctx, cred, sub)
			if st, ok := EndedState(err); !ok || st != StateCancelled || fault.ReasonOf(err) != ReasonEnded || !fault.IsPermanent(err) {
				t.Errorf("Cancel(ended) = %v, want permanent %s with state %s", err, ReasonEnded, StateCancelled)
			}
			c := e.srv.Counts()
			if got := c.CancelJob + c.CancelOperation; got != 2 {
				t.Errorf("server saw %d cancel calls, want 2", got)
			}
		})
	}
}

func TestCancelBatchWithoutOperation(t *testing.T) {
	e := newEnv(t, envConfig{})
	cred := e.mint(t, etlSA)
	sub, err := e.sub.Submit(e.ctx, cred, sparkRequest("no-op", batchTarget))
	if err != nil {
		t.Fatalf("Submit() = %v", err)
	}
	sub.Operation = ""
	broker, _, err := e.iam.Mint(brokerSA, []string{dataprocserver.CloudPlatformScope}, time.Hour)
	if err != nil {
		t.Fatalf("Mint(broker) = %v", err)
	}
	if err := e.sub.Cancel(e.ctx, token(broker), sub); err != nil {
		t.Fatalf("Cancel(by the broker, no operation recorded) = %v", err)
	}
	if got := e.srv.Counts().CancelOperation; got != 1 {
		t.Errorf("Counts().CancelOperation = %d, want 1", got)
	}
}

// TestCancelSucceededWorkload: a cancel that arrives after the workload
// succeeded reports that it had ended, and how, rather than a cancel.
func TestCancelSucceededWorkload(t *testing.T) {
	for _, target := range []Target{batchTarget, jobTarget} {
		t.Run(target.Cluster, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			sa := etlSA
			if target.Cluster != "" {
				sa = clusterSA
			}
			cred := e.mint(t, sa)
			sub, err := e.sub.Submit(e.ctx, cred, sparkRequest("done-already", target))
			if err != nil {
				t.Fatalf("Submit() = %v", err)
			}
			e.clock.Advance(12 * time.Minute) // pending 1m, running 10m: succeeded
			err = e.sub.Cancel(e.ctx, cred, sub)
			if st, ok := EndedState(err); !ok || st != StateSucceeded {
				t.Errorf("Cancel(succeeded) = %v, want %s with state %s", err, ReasonEnded, StateSucceeded)
			}
		})
	}
}
