package login

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Server serves the login service. It is safe for concurrent use.
type Server struct {
	cfg  Config
	base string // path prefix of BaseURL, e.g. /login
	idps map[string]*provider
	mux  *http.ServeMux
}

// provider is a configured IdP and its protocol side, set up lazily (an IdP
// that is down at start must not stop the service).
type provider struct {
	IdP
	oidc *oidcRP
	saml *samlSP
}

var _ http.Handler = (*Server)(nil)

// New checks cfg and returns a Server. It does not contact the IdPs.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL)
	s := &Server{cfg: cfg, base: strings.TrimSuffix(u.Path, "/"), idps: map[string]*provider{}}
	for _, idp := range cfg.IdPs {
		p := &provider{IdP: idp}
		switch {
		case idp.OIDC != nil:
			p.oidc = newOIDC(s, idp.Name, *idp.OIDC)
		case idp.SAML != nil:
			sp, err := newSAML(s, idp.Name, *idp.SAML)
			if err != nil {
				return nil, err
			}
			p.saml = sp
		}
		s.idps[idp.Name] = p
	}
	m := http.NewServeMux()
	m.HandleFunc("GET "+s.base+"/idps", s.serveIdPs)
	m.HandleFunc("GET "+s.base+"/start", s.serveStart)
	m.HandleFunc("GET "+s.base+"/oidc/{idp}/callback", s.serveOIDCCallback)
	m.HandleFunc("GET "+s.base+"/saml/{idp}/metadata", s.serveSAMLMetadata)
	m.HandleFunc("POST "+s.base+"/saml/{idp}/acs", s.serveACS)
	m.HandleFunc("POST "+s.base+"/device/code", s.serveDeviceCode)
	m.HandleFunc("GET "+s.base+"/device", s.serveDevicePage)
	m.HandleFunc("POST "+s.base+"/device", s.serveDeviceVerify)
	m.HandleFunc("POST "+s.base+"/token", s.serveToken)
	s.mux = m
	return s, nil
}

// ServeHTTP routes a request; a panic becomes a 500, never a crash.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := zerolog.Ctx(r.Context())
	if log.GetLevel() == zerolog.Disabled {
		log = &s.cfg.Log
	}
	r = r.WithContext(log.WithContext(r.Context()))
	defer func() {
		if p := recover(); p != nil {
			log.Error().Interface("panic", p).Str("path", r.URL.Path).Msg("login: handler panicked")
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

// IdPNames lists the configured IdPs with their protocol.
func (s *Server) IdPNames() map[string]string {
	out := map[string]string{}
	for n, p := range s.idps {
		out[n] = p.protocol()
	}
	return out
}

func (p *provider) protocol() string {
	if p.saml != nil {
		return "saml"
	}
	return "oidc"
}

func (s *Server) serveIdPs(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"idps": s.IdPNames()})
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// url returns the external URL of a path of the service.
func (s *Server) url(path string) string { return s.cfg.BaseURL + path }

// randomToken returns n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// hash is the hex SHA-256 under which one-time values are stored.
func hash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// remoteIP is the peer's address (the first X-Forwarded-For hop is not
// trusted: it is the client's to write).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// logCtx returns the request's logger.
func logCtx(ctx context.Context) *zerolog.Logger { return zerolog.Ctx(ctx) }
