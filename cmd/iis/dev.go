package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/internal/pubsubserver"
)

func init() {
	register("dev", "run the broker with every Google Cloud part stood in for locally", runDev)
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s brokerSettings
	var pubsubAddr string
	f := newFlags("dev", stderr)
	s.register(f)
	f.String(&pubsubAddr, "pubsub-addr", "IIS_DEV_PUBSUB_ADDR", "127.0.0.1:8085", "where the local Pub/Sub server (pstest) listens")
	if err := f.Parse(args); err != nil {
		return err
	}
	ctx, log, err := s.logger(ctx, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return err
	}
	ps, err := pubsubserver.Start(pubsubAddr)
	if err != nil {
		return err
	}
	defer ps.Close()
	s.Emulator = ps.Addr

	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := transport.Ensure(ctx, c, s.Topo); err != nil {
		return err
	}
	pub := transport.NewPublisher(c)
	defer pub.Stop()
	cfg := s.serviceConfig()
	b, err := service.New(ctx, cfg, pub)
	if err != nil {
		return err
	}
	defer b.Close()
	banner(stderr, s, cfg)
	log.Info().Msg("dev broker running; Ctrl-C to stop")
	return b.Run(ctx, c)
}

func banner(w io.Writer, s brokerSettings, cfg service.Config) {
	fmt.Fprintf(w, `
Dataproc IIS — dev mode: every Google Cloud part runs in this process; nothing reaches Google Cloud.

  Pub/Sub (pstest)   %[1]s    project %[2]s
  topics             %[3]s (requests), %[4]s (identity), %[5]s (audit), %[6]s (dead letters)
  store              %[7]s

Try it from a second terminal:
  export PUBSUB_EMULATOR_HOST=%[1]s
  go run ./cmd/iis tail                       # follow the audit topic
  go run ./cmd/iis publish -type job.requested -data '{"job":{}}' -no-validate
                                              # a malformed request: tail shows event.rejected

`, s.Emulator, s.Project, s.Topo.Requests, s.Topo.Identity, s.Topo.Audit, s.Topo.DeadLetter, cfg.Store)
}
