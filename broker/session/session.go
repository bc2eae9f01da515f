package session

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/dataproc-iis/iis/broker/identity"
)

// Lifetimes.
const (
	DefaultLifetime = time.Hour
	// MaxLifetime caps a token's lifetime and the age of a session through
	// refreshes: 12h after the person authenticated, they log in again.
	MaxLifetime = 12 * time.Hour
)

// Alg is the signature algorithm of session tokens.
const Alg = "ES256"

// Config configures Sessions.
type Config struct {
	// Issuer is the iss of the tokens and the base URL of the discovery
	// document and JWKS (https, or http on loopback in dev), e.g.
	// https://iis.example.com/session.
	Issuer string
	// Audience is the aud of the tokens: the audience the workers expect for
	// this issuer in their issuers file (e.g. "iis").
	Audience string
	// Lifetime of a token (default 1h, at most 12h).
	Lifetime time.Duration
	// Signer signs with the current key version. Required.
	Signer Signer
	// Previous are public keys of earlier key versions, still published in
	// the JWKS so that tokens they signed verify until they expire.
	Previous []crypto.PublicKey
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.Issuer); err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, fmt.Errorf("session: Issuer %q must be an absolute http(s) URL", c.Issuer))
	}
	if strings.TrimSpace(c.Audience) == "" {
		errs = append(errs, errors.New("session: Audience is required (what the workers expect)"))
	}
	if c.Lifetime < 0 || c.Lifetime > MaxLifetime {
		errs = append(errs, fmt.Errorf("session: Lifetime %s is outside (0, %s]", c.Lifetime, MaxLifetime))
	}
	if c.Signer == nil {
		errs = append(errs, errors.New("session: Signer is required"))
	}
	return errors.Join(errs...)
}

// Sessions issues and verifies session tokens. It is safe for concurrent
// use.
type Sessions struct {
	cfg  Config
	kid  string
	keys jose.JSONWebKeySet // current first, then previous
}

// New checks cfg and returns Sessions.
func New(cfg Config) (*Sessions, error) {
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sessions{cfg: cfg}
	seen := map[string]bool{}
	for i, pub := range append([]crypto.PublicKey{cfg.Signer.Public()}, cfg.Previous...) {
		kid, err := KeyID(pub)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			s.kid = kid
		}
		if seen[kid] {
			continue
		}
		seen[kid] = true
		s.keys.Keys = append(s.keys.Keys, jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: Alg, Use: "sig"})
	}
	return s, nil
}

// Issuer is the tokens' iss.
func (s *Sessions) Issuer() string { return s.cfg.Issuer }

// Audience is the tokens' aud.
func (s *Sessions) Audience() string { return s.cfg.Audience }

// KeyID is the key id of the current signing key version.
func (s *Sessions) KeyID() string { return s.kid }

// KeySet is the published JWKS: the current key version, then the previous.
func (s *Sessions) KeySet() jose.JSONWebKeySet { return s.keys }

// Identity is the issuers-file entry that makes workers trust these
// tokens: ES256 only, and sub is the directory user id (link user_id).
func (s *Sessions) Identity() identity.Issuer {
	return identity.Issuer{Name: "session", URL: s.cfg.Issuer, Audience: s.cfg.Audience, Algorithms: []string{Alg},
		Directory: identity.DirectoryLink{By: []string{identity.LinkUserID}}}
}

// Claims are what a session says about a person.
type Claims struct {
	UserID   string    // directory user id: the token's sub
	Email    string    // primary e-mail in the directory
	Name     string    // directory user name
	IdP      string    // configured name of the IdP of the login
	AuthTime time.Time // when the person authenticated at the IdP
	// SessionID ties refreshed tokens to the login they came from (sid).
	SessionID string
}

// Token is an issued session token. Raw is the secret: hand it to the
// person and nowhere else; Fingerprint names it in logs and events.
type Token struct {
	Raw         string
	Fingerprint string
	KeyID       string
	IssuedAt    time.Time
	ExpiresAt   time.Time
	Claims      Claims
}

// payload is the JSON claims set of a session token.
type payload struct {
	Iss           string `json:"iss"`
	Sub           string `json:"sub"`
	Aud           string `json:"aud"`
	Iat           int64  `json:"iat"`
	Nbf           int64  `json:"nbf"`
	Exp           int64  `json:"exp"`
	Jti           string `json:"jti"`
	AuthTime      int64  `json:"auth_time"`
	Sid           string `json:"sid"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	Name          string `json:"preferred_username,omitempty"`
	IdP           string `json:"idp"`
	Type          string `json:"principal_type"`
}

var b64 = base64.RawURLEncoding

// Issue signs a session token for c. Its lifetime is Config.Lifetime, cut
// short so that it never outlives MaxLifetime after c.AuthTime.
func (s *Sessions) Issue(ctx context.Context, c Claims) (Token, error) {
	if c.UserID == "" || c.IdP == "" {
		return Token{}, errors.New("session.Issue: a session needs a user id and an IdP")
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	if c.AuthTime.IsZero() {
		c.AuthTime = now
	}
	c.AuthTime = c.AuthTime.UTC().Truncate(time.Second)
	if c.SessionID == "" {
		c.SessionID = uuid.NewString()
	}
	exp := now.Add(s.cfg.Lifetime)
	if limit := c.AuthTime.Add(MaxLifetime); exp.After(limit) {
		exp = limit
	}
	if !exp.After(now) {
		return Token{}, ErrTooOld
	}
	p := payload{
		Iss: s.cfg.Issuer, Sub: c.UserID, Aud: s.cfg.Audience, Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(),
		Jti: uuid.NewString(), AuthTime: c.AuthTime.Unix(), Sid: c.SessionID, Name: c.Name, IdP: c.IdP, Type: identity.TypeHuman,
	}
	if c.Email != "" {
		p.Email, p.EmailVerified = strings.ToLower(c.Email), true
	}
	hdr, _ := json.Marshal(map[string]string{"alg": Alg, "kid": s.kid, "typ": "JWT"})
	body, err := json.Marshal(p)
	if err != nil {
		return Token{}, fmt.Errorf("session.Issue: %w", err)
	}
	input := b64.EncodeToString(hdr) + "." + b64.EncodeToString(body)
	der, err := s.cfg.Signer.SignDigest(ctx, digest([]byte(input)))
	if err != nil {
		return Token{}, fmt.Errorf("session.Issue: sign: %w", err)
	}
	sig, err := jwsSignature(der)
	if err != nil {
		return Token{}, err
	}
	raw := input + "." + b64.EncodeToString(sig)
	return Token{Raw: raw, Fingerprint: identity.Fingerprint(raw), KeyID: s.kid, IssuedAt: now, ExpiresAt: exp, Claims: c}, nil
}

// ErrTooOld is returned by Issue when the session is MaxLifetime past its
// authentication: the person must log in again.
var ErrTooOld = errors.New("session: the login is more than 12h old: log in again")
