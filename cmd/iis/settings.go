package main

import (
	"context"
	"io"

	"cloud.google.com/go/pubsub/v2"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/internal/logging"
)

// pubsubSettings are the flags every command that talks to Pub/Sub shares.
type pubsubSettings struct {
	Project  string
	Emulator string
	Topo     transport.Topology
}

func (s *pubsubSettings) register(f flags) {
	d := transport.DefaultTopology()
	s.Topo = d
	f.String(&s.Project, "project", "IIS_PROJECT", "iis-dev", "Google Cloud project that holds the topics")
	f.String(&s.Emulator, "pubsub-emulator", "PUBSUB_EMULATOR_HOST", "", "host:port of a Pub/Sub emulator such as `iis dev`'s; empty means real Pub/Sub with Application Default Credentials")
	f.String(&s.Topo.Requests, "requests-topic", "IIS_REQUESTS_TOPIC", d.Requests, "topic of job and cancel requests")
	f.String(&s.Topo.Identity, "identity-topic", "IIS_IDENTITY_TOPIC", d.Identity, "topic of identity events")
	f.String(&s.Topo.Audit, "audit-topic", "IIS_AUDIT_TOPIC", d.Audit, "topic of audit events")
	f.String(&s.Topo.Approvals, "approvals-topic", "IIS_APPROVALS_TOPIC", d.Approvals, "topic the requests that wait for approvers are published to, for chat and e-mail bridges (empty: none)")
	f.String(&s.Topo.RequestsSub, "requests-subscription", "IIS_REQUESTS_SUBSCRIPTION", d.RequestsSub, "workers' subscription to the requests topic")
	f.String(&s.Topo.IdentitySub, "identity-subscription", "IIS_IDENTITY_SUBSCRIPTION", d.IdentitySub, "workers' subscription to the identity topic")
}

func (s *pubsubSettings) client(ctx context.Context) (*pubsub.Client, error) {
	return transport.NewClient(ctx, s.Project, s.Emulator)
}

// logSettings are the logging flags.
type logSettings struct{ Level, Format string }

func (s *logSettings) register(f flags) {
	f.String(&s.Level, "log-level", "IIS_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	f.String(&s.Format, "log-format", "IIS_LOG_FORMAT", "auto", "log format: auto (console on a terminal, else JSON), json or console")
}

func (s *logSettings) logger(ctx context.Context, w io.Writer) (context.Context, zerolog.Logger, error) {
	log, err := logging.New(w, s.Level, logging.Format(s.Format))
	if err != nil {
		return ctx, log, err
	}
	return log.WithContext(ctx), log, nil
}
