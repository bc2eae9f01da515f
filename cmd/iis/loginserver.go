package main

import (
	"context"
	"crypto"
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
	"github.com/dataproc-iis/iis/broker/transport"
)

func init() {
	register("login-server", "serve the login service (OIDC/SAML login, session tokens, their JWKS) and relay its audit events", runLoginServer)
}

// sessionSettings configure the session issuer (login-server and dev).
type sessionSettings struct {
	Issuer, Audience  string
	KeyFile, Previous string
	Lifetime          time.Duration
}

func (s *sessionSettings) register(f flags) {
	f.String(&s.Issuer, "session-issuer", "IIS_SESSION_ISSUER", "", "iss of session tokens and base URL of their discovery document and JWKS (default: the login URL's origin + /session)")
	f.String(&s.Audience, "session-audience", "IIS_SESSION_AUDIENCE", "iis", "aud of session tokens: the audience the workers' issuers file expects for the session issuer")
	f.String(&s.KeyFile, "session-key-file", "IIS_SESSION_KEY_FILE", "", "PEM file of the EC P-256 key that signs session tokens")
	f.String(&s.Previous, "session-previous-keys", "IIS_SESSION_PREVIOUS_KEYS", "", "PEM file of public keys of earlier signing keys, still published for overlap after a rotation")
	f.Duration(&s.Lifetime, "session-lifetime", "IIS_SESSION_LIFETIME", session.DefaultLifetime, "lifetime of a session token (at most 12h)")
}

// sessions builds the issuer; base is the login service URL.
func (s *sessionSettings) sessions(base string, signer session.Signer) (*session.Sessions, error) {
	if s.Issuer == "" {
		u, err := url.Parse(base)
		if err != nil {
			return nil, err
		}
		s.Issuer = u.Scheme + "://" + u.Host + "/session"
	}
	if signer == nil {
		if s.KeyFile == "" {
			return nil, errors.New("session tokens need a signing key: -session-key-file")
		}
		k, err := session.LoadKeyFile(s.KeyFile)
		if err != nil {
			return nil, err
		}
		signer = k
	}
	var prev []crypto.PublicKey
	if s.Previous != "" {
		var err error
		if prev, err = session.LoadPublicKeys(s.Previous); err != nil {
			return nil, err
		}
	}
	return session.New(session.Config{Issuer: s.Issuer, Audience: s.Audience, Signer: signer, Previous: prev, Lifetime: s.Lifetime})
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
	list, err := login.LoadIdPs(idps)
	if err != nil {
		return err
	}
	sessions, err := ss.sessions(base, nil)
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
