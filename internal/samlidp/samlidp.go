package samlidp

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
	crewidp "github.com/crewjam/saml/samlidp"
	"golang.org/x/crypto/bcrypt"
)

// DefaultPassword is the dev users' password unless Config.Password is set.
const DefaultPassword = "iis-dev"

// ErrNotDevMode is returned by New unless Config.DevMode is set.
var ErrNotDevMode = errors.New("samlidp: refusing to start outside dev mode: its users' password is public")

// Config configures an IdP.
type Config struct {
	// URL is the IdP's base URL (metadata at URL/metadata, SSO at URL/sso).
	URL string
	// DevMode must be true.
	DevMode bool
	// Users may sign in (by e-mail) with Password (default DefaultPassword).
	Users    []User
	Password string
}

// User is a person of the dev IdP. Their NameID is the e-mail.
type User struct {
	Email       string
	DisplayName string
	Groups      []string
}

// IdP is a running dev SAML IdP.
type IdP struct {
	srv  *crewidp.Server
	key  *rsa.PrivateKey
	cert *x509.Certificate
	url  string
}

// New generates the IdP's key and certificate and loads the users.
func New(cfg Config) (*IdP, error) {
	if !cfg.DevMode {
		return nil, ErrNotDevMode
	}
	u, err := url.Parse(strings.TrimSuffix(cfg.URL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("samlidp: URL %q must be an absolute http(s) URL", cfg.URL)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("rsa.GenerateKey: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Dataproc IIS dev SAML IdP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("x509.CreateCertificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	st := &crewidp.MemoryStore{}
	pw := cfg.Password
	if pw == "" {
		pw = DefaultPassword
	}
	hashed, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	for _, usr := range cfg.Users {
		name := strings.ToLower(usr.Email)
		err := st.Put("/users/"+name, crewidp.User{Name: name, Email: name, HashedPassword: hashed,
			Groups: usr.Groups, CommonName: usr.DisplayName})
		if err != nil {
			return nil, err
		}
	}
	srv, err := crewidp.New(crewidp.Options{
		URL: *u, Key: key, Certificate: cert, Store: st, Logger: quiet{},
		// The admin API (users, services, sessions) is not served: the
		// users come from Config and services from AddServiceProvider.
		AdminMiddleware: func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "not served", http.StatusForbidden) })
		},
	})
	if err != nil {
		return nil, fmt.Errorf("samlidp.New: %w", err)
	}
	return &IdP{srv: srv, key: key, cert: cert, url: u.String()}, nil
}

// Handler serves the IdP at the root of its URL.
func (i *IdP) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Dev-IdP", "development only: never trust this IdP in production")
		i.srv.ServeHTTP(w, r)
	})
}

// MetadataURL is where the IdP's metadata is served.
func (i *IdP) MetadataURL() string { return i.url + "/metadata" }

// SSOURL is the single sign-on endpoint.
func (i *IdP) SSOURL() string { return i.url + "/sso" }

// Metadata is the IdP's metadata document.
func (i *IdP) Metadata() *saml.EntityDescriptor { return i.srv.IDP.Metadata() }

// Key and Certificate are the IdP's signing key and certificate (tests
// sign crafted responses with them).
func (i *IdP) Key() *rsa.PrivateKey { return i.key }

// Certificate is the IdP's signing certificate.
func (i *IdP) Certificate() *x509.Certificate { return i.cert }

// Provider is the underlying crewjam IdentityProvider (tests build
// responses with it).
func (i *IdP) Provider() *saml.IdentityProvider { return &i.srv.IDP }

// AddServiceProvider trusts an SP: its metadata (EntityDescriptor XML)
// names its entity id and ACS.
func (i *IdP) AddServiceProvider(id string, metadata []byte) error {
	req := httptest.NewRequest(http.MethodPut, "/services/"+id, bytes.NewReader(metadata))
	req.SetPathValue("id", id)
	rec := httptest.NewRecorder()
	i.srv.HandlePutService(rec, req)
	if rec.Code/100 != 2 {
		return fmt.Errorf("samlidp: registering service provider %s: %d %s", id, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	return nil
}

// quiet drops crewjam's log lines (they name users; the broker logs what
// matters itself).
type quiet struct{}

func (quiet) Printf(string, ...any)     {}
func (quiet) Print(...any)              {}
func (quiet) Println(...any)            {}
func (quiet) Fatal(v ...any)            { panic(fmt.Sprint(v...)) }
func (quiet) Fatalf(f string, v ...any) { panic(fmt.Sprintf(f, v...)) }
func (quiet) Fatalln(v ...any)          { panic(fmt.Sprint(v...)) }
func (quiet) Panic(v ...any)            { panic(fmt.Sprint(v...)) }
func (quiet) Panicf(f string, v ...any) { panic(fmt.Sprintf(f, v...)) }
func (quiet) Panicln(v ...any)          { panic(fmt.Sprint(v...)) }
