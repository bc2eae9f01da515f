package functions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/internal/logging"
)

func init() {
	functions.HTTP("Login", Login)
}

// loginBackend is the login service of this instance: its routes (login
// service and session issuer) and the outbox it drains.
type loginBackend struct {
	h     http.Handler
	drain func(ctx context.Context) (int, error)
	log   zerolog.Logger
}

var (
	loginMu  sync.Mutex
	loginCur *loginBackend
)

// Login serves the login service (package login: OIDC and SAML login,
// the CLI's token endpoint) at IIS_LOGIN_BASE_URL's path and the session
// issuer's discovery document and JWKS at IIS_SESSION_ISSUER's path.
func Login(w http.ResponseWriter, r *http.Request) {
	log := zerolog.Ctx(r.Context())
	if log.GetLevel() == zerolog.Disabled {
		stderr := zerolog.New(os.Stderr).With().Timestamp().Logger()
		log = &stderr
	}
	defer func() {
		if p := recover(); p != nil {
			log.Error().Interface("panic", p).Msg("login: entry point panicked")
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	b, err := loginCurrent(r.Context())
	if err != nil {
		log.Error().Err(err).Msg("login: service unavailable")
		http.Error(w, "the login service is not configured; retry later", http.StatusServiceUnavailable)
		return
	}
	ctx := b.log.WithContext(r.Context())
	b.h.ServeHTTP(w, r.WithContext(ctx))
	if r.Method != http.MethodPost {
		return
	}
	// No relay runs between invocations: publish the audit events this
	// request enqueued while the instance has CPU.
	if _, err := b.drain(ctx); err != nil {
		b.log.Warn().Err(err).Msg("login: outbox drain failed")
	}
}

func loginCurrent(ctx context.Context) (*loginBackend, error) {
	loginMu.Lock()
	defer loginMu.Unlock()
	if loginCur != nil {
		return loginCur, nil
	}
	b, err := buildLogin(ctx)
	if err != nil {
		return nil, err
	}
	loginCur = b
	return b, nil
}

// buildLogin reads IIS_STORE, IIS_LOGIN_BASE_URL, IIS_ISSUERS (its logins
// section), the signing key IIS_SESSION_KMS_KEY (a Cloud KMS key, with
// IIS_KMS_ENDPOINT and IIS_KMS_INSECURE for a local stand-in) or
// IIS_SESSION_KEY_FILE (with IIS_SESSION_RETIRED_KEYS), optionally
// IIS_SESSION_ISSUER, IIS_SESSION_AUDIENCE, IIS_SESSION_LIFETIME, and
// IIS_AUDIT_TOPIC, IIS_PROJECT, PUBSUB_EMULATOR_HOST.
func buildLogin(ctx context.Context) (*loginBackend, error) {
	log, err := logging.New(os.Stderr, env("IIS_LOG_LEVEL", "info"), logging.JSON)
	if err != nil {
		return nil, err
	}
	base := os.Getenv("IIS_LOGIN_BASE_URL")
	idps, err := login.LoadIdPs(os.Getenv("IIS_ISSUERS"))
	if err != nil {
		return nil, err
	}
	signer, err := sessionSigner(ctx)
	if err != nil {
		return nil, err
	}
	issuer := os.Getenv("IIS_SESSION_ISSUER")
	if issuer == "" {
		u, err := url.Parse(base)
		if err != nil {
			return nil, err
		}
		issuer = u.Scheme + "://" + u.Host + "/session"
	}
	lifetime, _ := time.ParseDuration(os.Getenv("IIS_SESSION_LIFETIME"))
	sessions, err := session.New(ctx, session.Config{Issuer: issuer, Audience: env("IIS_SESSION_AUDIENCE", "iis"), Signer: signer,
		Lifetime: lifetime})
	if err != nil {
		return nil, err
	}
	sc := service.Config{Store: env("IIS_STORE", ""), Topology: transport.DefaultTopology(), Worker: worker.DefaultConfig()}
	sc.Topology.Audit = env("IIS_AUDIT_TOPIC", sc.Topology.Audit)
	c, err := transport.NewClient(ctx, env("IIS_PROJECT", os.Getenv("GOOGLE_CLOUD_PROJECT")), os.Getenv("PUBSUB_EMULATOR_HOST"))
	if err != nil {
		return nil, err
	}
	b, err := service.New(context.WithoutCancel(ctx), sc, transport.NewPublisher(c))
	if err != nil {
		c.Close()
		return nil, err
	}
	srv, err := login.New(login.Config{Store: b.Store, Audit: b.Audit, Sessions: sessions, BaseURL: base, IdPs: idps,
		Wake: b.Relay.Wake, Log: log})
	if err != nil {
		b.Close()
		c.Close()
		return nil, fmt.Errorf("login.New: %w", err)
	}
	mux := http.NewServeMux()
	lu, _ := url.Parse(base)
	su, _ := url.Parse(sessions.Issuer())
	mux.Handle(strings.TrimSuffix(lu.Path, "/")+"/", srv)
	mux.Handle(strings.TrimSuffix(su.Path, "/")+"/", sessions.Handler())
	return &loginBackend{h: mux, drain: b.Relay.Drain, log: log}, nil
}

// sessionSigner is IIS_SESSION_KMS_KEY through Google's KMS client, or
// IIS_SESSION_KEY_FILE.
func sessionSigner(ctx context.Context) (signing.Signer, error) {
	if key := os.Getenv("IIS_SESSION_KMS_KEY"); key != "" {
		c, err := signing.NewKMSClient(context.WithoutCancel(ctx), signing.ClientConfig{
			Endpoint: os.Getenv("IIS_KMS_ENDPOINT"), Insecure: os.Getenv("IIS_KMS_INSECURE") == "true"})
		if err != nil {
			return nil, err
		}
		return signing.NewKMS(ctx, c, signing.KMSConfig{Key: key})
	}
	if path := os.Getenv("IIS_SESSION_KEY_FILE"); path != "" {
		return signing.NewFile(signing.FileConfig{Path: path, Retired: splitTokens(os.Getenv("IIS_SESSION_RETIRED_KEYS"))})
	}
	return nil, errors.New("login: set IIS_SESSION_KMS_KEY (or IIS_SESSION_KEY_FILE in dev)")
}
