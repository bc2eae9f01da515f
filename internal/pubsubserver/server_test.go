package pubsubserver

import (
	"context"
	"testing"

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
