package functions

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/scim"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/internal/logging"
	"github.com/dataproc-iis/iis/internal/version"
)

func init() {
	functions.HTTP("SCIM", SCIM)
}

// scimBackend is the SCIM endpoint of this instance and the outbox it
// drains.
type scimBackend struct {
	h     http.Handler
	drain func(ctx context.Context) (int, error)
	log   zerolog.Logger
	close func()
}

var (
	scimMu  sync.Mutex
	scimCur *scimBackend
)

// UseSCIM makes the SCIM entry point serve h and drain with drain instead of
// building both from the environment. Tests and `iis dev` call it.
func UseSCIM(h http.Handler, drain func(ctx context.Context) (int, error), log zerolog.Logger) {
	scimMu.Lock()
	defer scimMu.Unlock()
	scimCur = &scimBackend{h: h, drain: drain, log: log, close: func() {}}
}

// SCIM serves the SCIM 2.0 endpoint (package scim) that Okta and Entra ID
// provision the directory through. The IdP's base URL is the function's URL
// followed by /scim/v2 (IIS_SCIM_BASE_PATH).
func SCIM(w http.ResponseWriter, r *http.Request) {
	log := zerolog.Ctx(r.Context())
	if log.GetLevel() == zerolog.Disabled {
		stderr := zerolog.New(os.Stderr).With().Timestamp().Logger()
		log = &stderr
	}
	defer func() {
		if p := recover(); p != nil {
			log.Error().Interface("panic", p).Msg("scim: entry point panicked")
			scim.WriteError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	b, err := scimCurrent(r.Context())
	if err != nil {
		log.Error().Err(err).Msg("scim: endpoint unavailable")
		scim.WriteError(w, http.StatusServiceUnavailable, "the endpoint is not configured; retry later")
		return
	}
	log = &b.log
	ctx := b.log.WithContext(r.Context())
	b.h.ServeHTTP(w, r.WithContext(ctx))
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return
	}
	// No relay runs between invocations: publish what this write enqueued
	// while the instance still has CPU. What is left is sent by the next
	// drain or by any running relay; the outbox keeps it meanwhile.
	if _, err := b.drain(ctx); err != nil {
		b.log.Warn().Err(err).Msg("scim: outbox drain after write failed")
	}
}

// scimCurrent returns the endpoint, building it from the environment on
// first use. A failed build is retried on the next call.
func scimCurrent(ctx context.Context) (*scimBackend, error) {
	scimMu.Lock()
	defer scimMu.Unlock()
	if scimCur != nil {
		return scimCur, nil
	}
	b, err := buildSCIM(ctx)
	if err != nil {
		return nil, err
	}
	scimCur = b
	return b, nil
}

// buildSCIM reads IIS_STORE, IIS_SCIM_TOKENS (comma-separated) and
// IIS_SCIM_TOKENS_FILE (one per line), IIS_IDENTITY_TOPIC, IIS_PROJECT,
// PUBSUB_EMULATOR_HOST, and optionally IIS_SCIM_BASE_PATH,
// IIS_SCIM_BASE_URL, IIS_SCIM_SOURCE and IIS_SCIM_OAUTH_{ISSUER,AUDIENCE,JWKS_URL}.
func buildSCIM(ctx context.Context) (*scimBackend, error) {
	log, err := logging.New(os.Stderr, env("IIS_LOG_LEVEL", "info"), logging.JSON)
	if err != nil {
		return nil, err
	}
	log.Info().EmbedObject(version.Get()).Msg("iis function starting: SCIM")
	cfg := scim.Config{
		Tokens:     splitTokens(os.Getenv("IIS_SCIM_TOKENS")),
		TokensFile: os.Getenv("IIS_SCIM_TOKENS_FILE"),
		Source:     os.Getenv("IIS_SCIM_SOURCE"),
		BasePath:   os.Getenv("IIS_SCIM_BASE_PATH"),
		BaseURL:    os.Getenv("IIS_SCIM_BASE_URL"),
		Log:        log,
	}
	if iss := os.Getenv("IIS_SCIM_OAUTH_ISSUER"); iss != "" {
		cfg.OAuth = &scim.OAuthConfig{Issuer: iss, Audience: os.Getenv("IIS_SCIM_OAUTH_AUDIENCE"), JWKSURL: os.Getenv("IIS_SCIM_OAUTH_JWKS_URL")}
	}
	sc := service.Config{Store: env("IIS_STORE", ""), Topology: transport.DefaultTopology(), Worker: worker.DefaultConfig()}
	sc.Topology.Identity = env("IIS_IDENTITY_TOPIC", sc.Topology.Identity)
	sc.Topology.Audit = env("IIS_AUDIT_TOPIC", sc.Topology.Audit)
	cfg.IdentityTopic, cfg.AuditTopic = sc.Topology.Identity, sc.Topology.Audit
	c, err := transport.NewClient(ctx, env("IIS_PROJECT", os.Getenv("GOOGLE_CLOUD_PROJECT")), os.Getenv("PUBSUB_EMULATOR_HOST"))
	if err != nil {
		return nil, err
	}
	pub := transport.NewPublisher(c)
	b, err := service.New(context.WithoutCancel(ctx), sc, pub)
	if err != nil {
		c.Close()
		return nil, err
	}
	cfg.Store, cfg.Wake = b.Store, b.Relay.Wake
	srv, err := scim.New(cfg)
	if err != nil {
		b.Close()
		c.Close()
		return nil, fmt.Errorf("scim.New: %w", err)
	}
	closeAll := func() {
		pub.Stop()
		b.Close()
		c.Close()
	}
	return &scimBackend{h: srv, drain: b.Relay.Drain, log: log, close: closeAll}, nil
}

// splitTokens splits a comma-separated token list, dropping empty items.
func splitTokens(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
