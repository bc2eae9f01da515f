package devissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrNotDevMode is returned by New unless Config.DevMode is set.
var ErrNotDevMode = errors.New("devissuer: refusing to start outside dev mode: this issuer mints tokens for anyone who asks (set DevMode only in `iis dev` and tests)")

// Defaults and bounds.
const (
	DefaultTTL = time.Hour
	MaxTTL     = 24 * time.Hour
)

// Config configures an Issuer.
type Config struct {
	// URL is the issuer identifier, the base URL the Handler is served at
	// (e.g. http://127.0.0.1:8085/oidc).
	URL string
	// DevMode must be true: the issuer refuses to start otherwise.
	DevMode bool
	// Audience is the default audience of minted tokens (e.g. "iis").
	Audience string
	// ES256 also generates an ES256 key, used when a TokenRequest asks for it.
	ES256 bool
	// DefaultTTL of minted tokens (default 1h); MaxTTL caps requests (24h).
	DefaultTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Users may sign in at the authorization endpoint with Password
	// (default DefaultPassword); Clients may redeem their codes.
	Users    []User
	Password string
	Clients  []Client
}

// Issuer is a running dev issuer.
type Issuer struct {
	cfg      Config
	signers  map[string]signer // by alg
	jwks     jose.JSONWebKeySet
	users    map[string]User // by lower-case e-mail
	clients  map[string]Client
	password string
	codes    codes
}

type signer struct {
	kid string
	jose.Signer
}

// New generates the issuer's keys. It fails with ErrNotDevMode unless
// cfg.DevMode is set.
func New(cfg Config) (*Issuer, error) {
	if !cfg.DevMode {
		return nil, ErrNotDevMode
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("devissuer: URL %q must be an absolute http(s) URL", cfg.URL)
	}
	cfg.URL = strings.TrimSuffix(cfg.URL, "/")
	if cfg.DefaultTTL <= 0 {
		cfg.DefaultTTL = DefaultTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	is := &Issuer{cfg: cfg, signers: map[string]signer{}, users: map[string]User{}, clients: map[string]Client{},
		password: cfg.Password, codes: codes{m: map[string]*authCode{}}}
	if is.password == "" {
		is.password = DefaultPassword
	}
	for _, u := range cfg.Users {
		is.users[strings.ToLower(u.Email)] = u
	}
	for _, c := range cfg.Clients {
		is.clients[c.ID] = c
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("rsa.GenerateKey: %w", err)
	}
	if err := is.addKey("RS256", rsaKey); err != nil {
		return nil, err
	}
	if cfg.ES256 {
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("ecdsa.GenerateKey: %w", err)
		}
		if err := is.addKey("ES256", ecKey); err != nil {
			return nil, err
		}
	}
	return is, nil
}

// addKey registers a signing key and publishes its public half.
func (is *Issuer) addKey(alg string, key crypto.Signer) error {
	pub := jose.JSONWebKey{Key: key.Public(), Algorithm: alg, Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return fmt.Errorf("jose.Thumbprint: %w", err)
	}
	pub.KeyID = "dev-" + strings.ToLower(alg) + "-" + hex.EncodeToString(thumb[:6])
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: pub.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return fmt.Errorf("jose.NewSigner: %w", err)
	}
	is.signers[alg] = signer{kid: pub.KeyID, Signer: s}
	is.jwks.Keys = append(is.jwks.Keys, pub)
	return nil
}

// URL is the issuer identifier.
func (is *Issuer) URL() string { return is.cfg.URL }

// KeySet is the issuer's public keys.
func (is *Issuer) KeySet() jose.JSONWebKeySet { return is.jwks }

// TokenRequest describes a token to mint.
type TokenRequest struct {
	Subject       string         `json:"sub"`            // default: Email
	Email         string         `json:"email"`          // the principal; required unless Subject is set
	Groups        []string       `json:"groups"`         //
	Audience      string         `json:"aud"`            // default: Config.Audience
	TTL           time.Duration  `json:"-"`              // default: Config.DefaultTTL; at most MaxTTL
	PrincipalType string         `json:"principal_type"` // "human", "workload" or empty
	Alg           string         `json:"alg"`            // "RS256" (default) or "ES256"
	NotBefore     time.Time      `json:"-"`              // optional nbf
	Extra         map[string]any `json:"-"`              // more claims (tests); cannot override the ones above
}

// Mint returns a signed ID token.
func (is *Issuer) Mint(r TokenRequest) (string, error) {
	if r.Email == "" && r.Subject == "" {
		return "", errors.New("devissuer: a token needs an e-mail or a subject")
	}
	if r.Subject == "" {
		r.Subject = r.Email
	}
	if r.Audience == "" {
		r.Audience = is.cfg.Audience
	}
	if r.Audience == "" {
		return "", errors.New("devissuer: a token needs an audience")
	}
	if r.TTL == 0 {
		r.TTL = is.cfg.DefaultTTL
	}
	if r.TTL < 0 || r.TTL > MaxTTL {
		return "", fmt.Errorf("devissuer: ttl %s is outside (0, %s]", r.TTL, MaxTTL)
	}
	switch r.PrincipalType {
	case "", "human", "workload":
	default:
		return "", fmt.Errorf("devissuer: principal type %q is neither human nor workload", r.PrincipalType)
	}
	if r.Alg == "" {
		r.Alg = "RS256"
	}
	s, ok := is.signers[r.Alg]
	if !ok {
		return "", fmt.Errorf("devissuer: no %s key (configured: %s)", r.Alg, strings.Join(is.algs(), ", "))
	}
	now := is.cfg.Now()
	claims := map[string]any{}
	for k, v := range r.Extra {
		claims[k] = v
	}
	claims["iss"] = is.cfg.URL
	claims["sub"] = r.Subject
	claims["aud"] = r.Audience
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(r.TTL).Unix()
	claims["jti"] = randomID()
	if r.Email != "" {
		claims["email"] = r.Email
		claims["email_verified"] = true
	}
	if len(r.Groups) > 0 {
		claims["groups"] = r.Groups
	}
	if r.PrincipalType != "" {
		claims["principal_type"] = r.PrincipalType
	}
	if !r.NotBefore.IsZero() {
		claims["nbf"] = r.NotBefore.Unix()
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("jwt.Serialize: %w", err)
	}
	return raw, nil
}

func (is *Issuer) algs() []string {
	var out []string
	for a := range is.signers {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
