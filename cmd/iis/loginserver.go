package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/internal/version"
)

func init() {
	register("login-server", "serve the login service (OIDC/SAML login, session tokens, their JWKS) and relay its audit events", runLoginServer)
}

// sessionSettings configure the session issuer (login-server and dev).
type sessionSettings struct {
	Issuer, Audience string
	KMSKey           string
	KMSEndpoint      string
	KMSInsecure      bool
	KeyFile, Retired string
	Lifetime         time.Duration
}

func (s *sessionSettings) register(f flags) {
	f.String(&s.Issuer, "session-issuer", "IIS_SESSION_ISSUER", "", "iss of session tokens and base URL of their discovery document and JWKS (default: the login URL's origin + /session)")
	f.String(&s.Audience, "session-audience", "IIS_SESSION_AUDIENCE", "iis", "aud of session tokens: the audience the workers' issuers file expects for the session issuer")
	f.String(&s.KMSKey, "session-kms-key", "IIS_SESSION_KMS_KEY", "", "Cloud KMS key that signs session tokens (EC_SIGN_P256_SHA256): projects/P/locations/L/keyRings/R/cryptoKeys/K (its newest ENABLED version signs) or a pinned .../cryptoKeyVersions/N")
	f.String(&s.KMSEndpoint, "kms-endpoint", "IIS_KMS_ENDPOINT", "", "Cloud KMS endpoint override (default Google's)")
	f.Bool(&s.KMSInsecure, "kms-insecure", "IIS_KMS_INSECURE", false, "dial -kms-endpoint in plaintext without credentials: only for a local KMS stand-in")
	f.String(&s.KeyFile, "session-key-file", "IIS_SESSION_KEY_FILE", "", "PEM file of an EC P-256 private key that signs session tokens (instead of KMS; dev)")
	f.String(&s.Retired, "session-retired-keys", "IIS_SESSION_RETIRED_KEYS", "", "comma-separated PEM files of earlier session keys, still published for overlap after a rotation (key files only: KMS publishes its enabled versions)")
	f.Duration(&s.Lifetime, "session-lifetime", "IIS_SESSION_LIFETIME", session.DefaultLifetime, "lifetime of a session token (at most 12h)")
}

// signer is the session signing key: Cloud KMS, or a key file.
func (s *sessionSettings) signer(ctx context.Context) (signing.Signer, func(), error) {
	switch {
	case s.KMSKey != "" && s.KeyFile != "":
		return nil, nil, errors.New("set one of -session-kms-key and -session-key-file")
	case s.KMSKey != "":
		c, err := signing.NewKMSClient(ctx, signing.ClientConfig{Endpoint: s.KMSEndpoint, Insecure: s.KMSInsecure})
		if err != nil {
			return nil, nil, err
		}
		k, err := signing.NewKMS(ctx, c, signing.KMSConfig{Key: s.KMSKey})
		if err != nil {
			c.Close()
			return nil, nil, err
		}
		return k, func() { c.Close() }, nil
	case s.KeyFile != "":
		f, err := signing.NewFile(signing.FileConfig{Path: s.KeyFile, Retired: splitComma(s.Retired)})
		return f, func() {}, err
	}
	return nil, nil, errors.New("session tokens need a signing key: -session-kms-key (production) or -session-key-file")
}

// sessions builds the issuer; base is the login service URL.
func (s *sessionSettings) sessions(ctx context.Context, base string, signer signing.Signer) (*session.Sessions, error) {
	if s.Issuer == "" {
		u, err := url.Parse(base)
		if err != nil {
			return nil, err
		}
		s.Issuer = u.Scheme + "://" + u.Host + "/session"
	}
	return session.New(ctx, session.Config{Issuer: s.Issuer, Audience: s.Audience, Signer: signer, Lifetime: s.Lifetime})
}

func runLoginServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s brokerSettings
	var ss sessionSettings
	var base, idps string
	f := newFlags("login-server", stderr)
	s.register(f)
	ss.register(f)
	f.String(&base, "login-base-url", "IIS_LOGIN_BASE_URL", "", "external URL of the login service, e.g. https://iis.example.com/login (required)")
	f.String(&idps, "issuers", "IIS_ISSUERS", "", "issuers file whose logins section names the IdPs people log in with (docs/login.md)")
	if err := f.Parse(args); err != nil {
		return err
	}
	if base == "" || idps == "" {
		return errors.New("-login-base-url and -issuers are required")
	}
	if s.HTTPAddr == "" {
		s.HTTPAddr = ":8080"
	}
	ctx, log, err := s.logger(ctx, stderr)
	if err != nil {
		return err
	}
	log.Info().EmbedObject(version.Get()).Msg("iis login-server starting")
	list, err := login.LoadIdPs(idps)
	if err != nil {
		return err
	}
	signer, closeSigner, err := ss.signer(ctx)
	if err != nil {
		return err
	}
	defer closeSigner()
	sessions, err := ss.sessions(ctx, base, signer)
	if err != nil {
		return err
	}
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
	srv, err := newLoginServer(b, sessions, base, list, log)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	health(mux, b.Store)
	mountLogin(mux, base, srv, sessions)
	addr, done, err := serveHTTP(ctx, s.HTTPAddr, mux)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "login service: %s (listening on %s); session issuer %s\n", base, addr, sessions.Issuer())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Relay.Run(gctx) })
	g.Go(func() error { return <-done })
	return g.Wait()
}

func newLoginServer(b *service.Broker, sessions *session.Sessions, base string, idps []login.IdP, log zerolog.Logger) (*login.Server, error) {
	return login.New(login.Config{Store: b.Store, Audit: b.Audit, Sessions: sessions, BaseURL: base, IdPs: idps,
		Wake: b.Relay.Wake, Log: log})
}

// mountLogin serves the login service at its URL's path and the session
// issuer's discovery document and JWKS at theirs.
func mountLogin(mux *http.ServeMux, base string, srv http.Handler, sessions *session.Sessions) {
	lu, _ := url.Parse(base)
	su, _ := url.Parse(sessions.Issuer())
	mux.Handle(lu.Path+"/", srv)
	mux.Handle(su.Path+"/", sessions.Handler())
}
