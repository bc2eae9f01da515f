package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/dataproc-iis/iis/internal/samlidp"
)

// Names of the dev identity providers people log in with.
const (
	OIDCLogin = "dev"      // the dev OIDC issuer, authorization code + PKCE
	SAMLLogin = "dev-saml" // the dev SAML IdP
	// LoginClientID is the login service's client id at the dev issuer.
	LoginClientID = "iis-login"
)

// User is a person of both dev IdPs (the seeded directory's people).
type User struct {
	Email  string
	Name   string
	Groups []string
}

// loginParts are what Start builds when Config.LoginURL is set.
type loginParts struct {
	clientSecret string
	users        []User
}

func newSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "dev-" + hex.EncodeToString(b)
}

// startLogin creates the SAML IdP and the session issuer.
func (s *Stack) startLogin(cfg Config) error {
	if cfg.LoginURL == "" {
		return nil
	}
	if cfg.SessionURL == "" || cfg.SAMLURL == "" {
		return fmt.Errorf("devstack: LoginURL needs SessionURL and SAMLURL")
	}
	var users []samlidp.User
	for _, u := range cfg.Users {
		users = append(users, samlidp.User{Email: u.Email, DisplayName: u.Name, Groups: u.Groups})
	}
	idp, err := samlidp.New(samlidp.Config{URL: cfg.SAMLURL, DevMode: true, Users: users, Password: cfg.Password})
	if err != nil {
		return err
	}
	signer := cfg.SessionSigner
	if signer == nil {
		dir, err := os.MkdirTemp("", "iis-devstack-")
		if err != nil {
			return err
		}
		s.cleanup = append(s.cleanup, func() { os.RemoveAll(dir) })
		if signer, err = signing.NewFile(signing.FileConfig{Path: filepath.Join(dir, "session-key.pem"), Create: true}); err != nil {
			return err
		}
	}
	sessions, err := session.New(context.Background(), session.Config{Issuer: cfg.SessionURL, Audience: Audience, Signer: signer, Lifetime: cfg.SessionLifetime})
	if err != nil {
		return err
	}
	s.SAML, s.Sessions, s.loginURL = idp, sessions, cfg.LoginURL
	return nil
}

// devIssuerLogin returns the issuer's users and the login client.
func devIssuerLogin(cfg Config, secret string) ([]devissuer.User, []devissuer.Client) {
	if cfg.LoginURL == "" {
		return nil, nil
	}
	var users []devissuer.User
	for _, u := range cfg.Users {
		users = append(users, devissuer.User{Email: u.Email, Name: u.Name, Groups: u.Groups})
	}
	return users, []devissuer.Client{{ID: LoginClientID, Secret: secret, RedirectURIs: []string{cfg.LoginURL + "/oidc/" + OIDCLogin + "/callback"}}}
}

// Login is the login service's configuration on this stack: the dev
// issuer (OIDC) and the dev SAML IdP, sessions by the stack's issuer.
func (s *Stack) Login(st store.Store, a audit.Log, wake func()) login.Config {
	return login.Config{
		Store: st, Audit: a, Sessions: s.Sessions, BaseURL: s.loginURL, Wake: wake,
		IdPs: []login.IdP{
			{Name: OIDCLogin, OIDC: &login.OIDC{Issuer: s.Issuer.URL(), ClientID: LoginClientID, ClientSecret: s.login.clientSecret}},
			{Name: SAMLLogin, SAML: &login.SAML{MetadataURL: s.SAML.MetadataURL()}},
		},
	}
}

// RegisterLogin trusts the login service at the dev SAML IdP (its SP
// metadata names the entity id and the ACS).
func (s *Stack) RegisterLogin(srv http.Handler) error {
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, s.loginURL+"/saml/"+SAMLLogin+"/metadata", nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Errorf("devstack: SP metadata: %d", rec.Code)
	}
	md, _ := io.ReadAll(rec.Body)
	return s.SAML.AddServiceProvider("iis-login", md)
}
