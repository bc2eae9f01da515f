package pubsubserver

import (
	"context"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/transport"
)

func TestStartServesPubSub(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	c, err := transport.NewClient(ctx, "p", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := transport.Ensure(ctx, c, transport.DefaultTopology()); err != nil {
		t.Fatalf("Ensure() = %v", err)
	}
	// Ensure is idempotent: a second run over existing resources succeeds.
	if err := transport.Ensure(ctx, c, transport.DefaultTopology()); err != nil {
		t.Fatalf("second Ensure() = %v", err)
	}
}

func TestStartOnBusyPortFails(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Start(s.Addr); err == nil {
		t.Errorf("Start(%s) on a busy port = nil error, want error", s.Addr)
	}
}

func TestCloseGivesUpOnAStuckServer(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	real := s.closeFn
	defer real()
	stuck := make(chan struct{})
	defer close(stuck)
	s.closeWait = 50 * time.Millisecond
	s.closeFn = func() error { <-stuck; return nil } // pstest waiting for its lock
	start := time.Now()
	if err := s.Close(); err == nil || time.Since(start) > time.Second {
		t.Errorf("Close() on a stuck server = %v after %v; want an error after about 50ms", err, time.Since(start))
	}
}

func TestCloseReturnsPstestsResult(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
}
