package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/store/storeopen"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// joinCommand is the `iis serve` command line that runs a worker against
// this dev environment: its Pub/Sub, store, policy, issuers, and its local
// IAM and Dataproc servers as the broker's own service account. `iis dev
// -broker=false` prints it, so that nobody has to find these flags in
// internal code.
func joinCommand(s devSettings, cfg service.Config, stack *devstack.Stack) []string {
	args := []string{"serve",
		"-pubsub-emulator", s.Emulator,
		"-store", storeopen.Redact(cfg.Store), // a password stays out of the terminal: add it (or PGPASSWORD) yourself
		"-policy", s.Policy,
		"-issuers", filepath.Join(s.DataDir, "issuers.yaml"),
		"-iam-endpoint", stack.IAM.Addr(),
		"-dataproc-endpoint", stack.Dataproc.Addr(),
		"-dev-insecure-endpoints",
		"-broker-service-account", devstack.BrokerServiceAccount,
	}
	if s.Project != "iis-dev" {
		args = append(args, "-project", s.Project)
	}
	d := transport.DefaultTopology()
	for _, f := range []struct{ flag, v, def string }{
		{"-requests-topic", s.Topo.Requests, d.Requests}, {"-identity-topic", s.Topo.Identity, d.Identity},
		{"-audit-topic", s.Topo.Audit, d.Audit}, {"-requests-subscription", s.Topo.RequestsSub, d.RequestsSub},
		{"-identity-subscription", s.Topo.IdentitySub, d.IdentitySub},
	} {
		if f.v != f.def {
			args = append(args, f.flag, f.v)
		}
	}
	return args
}

// shellLine quotes args for a POSIX shell.
func shellLine(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// printJoin tells how to start workers that join this environment.
func printJoin(w interface{ Write([]byte) (int, error) }, args []string) {
	fmt.Fprintf(w, "No broker runs in this process (-broker=false). Start workers that join it with:\n  go run ./cmd/iis %s -http-addr 127.0.0.1:0\n\n",
		shellLine(args))
}
