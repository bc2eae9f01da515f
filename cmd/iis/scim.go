package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/scim"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/internal/version"
)

func init() {
	register("scim", "serve the SCIM 2.0 provisioning endpoint (Okta, Entra ID) and relay its identity events", runSCIM)
}

// scimSettings configure the SCIM endpoint in `iis scim` and `iis dev`.
type scimSettings struct {
	Tokens     string
	TokensFile string
	BaseURL    string
}

func (s *scimSettings) register(f flags) {
	f.String(&s.Tokens, "scim-tokens", "IIS_SCIM_TOKENS", "", "comma-separated bearer tokens accepted by SCIM (several at once for rotation); prefer -scim-tokens-file")
	f.String(&s.TokensFile, "scim-tokens-file", "IIS_SCIM_TOKENS_FILE", "", "file of SCIM bearer tokens, one per line (re-read on change)")
	f.String(&s.BaseURL, "scim-base-url", "IIS_SCIM_BASE_URL", "", "external URL of the SCIM endpoint, for Location headers (default: from the request)")
}

func (s *scimSettings) server(b *service.Broker, topic, source string, log zerolog.Logger) (*scim.Server, error) {
	cfg := scim.Config{
		Store: b.Store, IdentityTopic: topic, AuditTopic: b.Topology().Audit, TokensFile: s.TokensFile, BaseURL: s.BaseURL,
		Wake: b.Relay.Wake, Log: log,
	}
	if source != "" {
		cfg.Source = source
	}
	for _, t := range strings.Split(s.Tokens, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.Tokens = append(cfg.Tokens, t)
		}
	}
	if len(cfg.Tokens) == 0 && cfg.TokensFile == "" {
		return nil, errors.New("SCIM needs -scim-tokens-file or -scim-tokens: it never runs unauthenticated")
	}
	return scim.New(cfg)
}

// devToken returns a random SCIM token for `iis dev`.
func devToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "dev-" + hex.EncodeToString(b)
}

func runSCIM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s brokerSettings
	var sc scimSettings
	f := newFlags("scim", stderr)
	s.register(f)
	sc.register(f)
	// -source names the identity events this process emits: SCIM's own
	// default, not the worker's.
	if os.Getenv("IIS_SOURCE") == "" {
		s.Worker.Source = scim.DefaultSource
		f.Lookup("source").DefValue = scim.DefaultSource
	}
	if err := f.Parse(args); err != nil {
		return err
	}
	if s.HTTPAddr == "" {
		s.HTTPAddr = ":8080"
	}
	ctx, log, err := s.logger(ctx, stderr)
	if err != nil {
		return err
	}
	log.Info().EmbedObject(version.Get()).Msg("iis scim starting")
	tel, stopTelemetry, err := startTelemetry(ctx, "iis-scim")
	if err != nil {
		return err
	}
	defer stopTelemetry()
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	pub := transport.NewPublisher(c)
	defer pub.Stop()
	b, err := service.New(ctx, s.serviceConfig(), pub)
	if err != nil {
		return err
	}
	defer b.Close()
	srv, err := sc.server(b, s.Topo.Identity, s.Worker.Source, log)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	health(mux, b.Store)
	metrics(mux, tel)
	mux.Handle("/scim/", telemetry.HTTPHandler(srv, "scim"))
	addr, done, err := serveHTTP(ctx, s.HTTPAddr, mux)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "SCIM endpoint: http://%s/scim/v2 (identity events to %s); metrics: http://%s/metrics\n", addr, s.Topo.Identity, addr)
	log.Info().EmbedObject(version.Get()).Str("addr", addr).Str("identity_topic", s.Topo.Identity).Msg("SCIM serving")
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Relay.Run(gctx) })
	g.Go(func() error { return <-done })
	return g.Wait()
}
