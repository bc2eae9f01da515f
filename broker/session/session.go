package session

import (
	"context"
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
	"github.com/dataproc-iis/iis/broker/signing"
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
	// Signer signs with the current key version (an EC P-256 key: a Cloud
	// KMS EC_SIGN_P256_SHA256 key, or a key file). Its PublicKeys, every
	// usable version, are the JWKS: a rotated-out version keeps verifying
	// the tokens it signed while it stays enabled (or listed as retired).
	Signer signing.Signer
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
	cfg Config
}

// New checks cfg, and that the signer's current key is an ES256 key.
func New(ctx context.Context, cfg Config) (*Sessions, error) {
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
	cur, err := cfg.Signer.Current(ctx)
	if err != nil {
		return nil, fmt.Errorf("session: the signing key: %w", err)
	}
	if cur.Algorithm.JWA() != Alg {
		return nil, fmt.Errorf("session: the signing key %s is %s; session tokens are %s (EC_SIGN_P256_SHA256)", cur.KeyID, cur.Algorithm, Alg)
	}
	return &Sessions{cfg: cfg}, nil
}

// Issuer is the tokens' iss.
func (s *Sessions) Issuer() string { return s.cfg.Issuer }

// Audience is the tokens' aud.
func (s *Sessions) Audience() string { return s.cfg.Audience }

// KeyID is the key id of the signing key version now.
func (s *Sessions) KeyID(ctx context.Context) (string, error) {
	k, err := s.cfg.Signer.Current(ctx)
	return k.KeyID, err
}

// KeySet is the published JWKS: every ES256 key version that verifies,
// the current one first.
func (s *Sessions) KeySet(ctx context.Context) (jose.JSONWebKeySet, error) {
	keys, err := s.cfg.Signer.PublicKeys(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("session: public keys: %w", err)
	}
	var set jose.JSONWebKeySet
	if cur, err := s.cfg.Signer.Current(ctx); err == nil {
		keys = append([]signing.PublicKey{cur}, keys...)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if k.Algorithm.JWA() != Alg || seen[k.KeyID] {
			continue
		}
		seen[k.KeyID] = true
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key, KeyID: k.KeyID, Algorithm: Alg, Use: "sig"})
	}
	return set, nil
}

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
	body, err := json.Marshal(p)
	if err != nil {
		return Token{}, fmt.Errorf("session.Issue: %w", err)
	}
	kid, err := s.KeyID(ctx)
	if err != nil {
		return Token{}, fmt.Errorf("session.Issue: %w", err)
	}
	// The header names the key version; a rotation between reading it and
	// signing (KMS moved to a newer version) signs once more with the new id.
	for range 2 {
		hdr, _ := json.Marshal(map[string]string{"alg": Alg, "kid": kid, "typ": "JWT"})
		input := b64.EncodeToString(hdr) + "." + b64.EncodeToString(body)
		sig, err := s.cfg.Signer.Sign(ctx, []byte(input))
		if err != nil {
			return Token{}, fmt.Errorf("session.Issue: sign: %w", err)
		}
		if sig.KeyID != kid {
			kid = sig.KeyID
			continue
		}
		jws, err := sig.JWS()
		if err != nil {
			return Token{}, err
		}
		raw := input + "." + b64.EncodeToString(jws)
		return Token{Raw: raw, Fingerprint: identity.Fingerprint(raw), KeyID: kid, IssuedAt: now, ExpiresAt: exp, Claims: c}, nil
	}
	return Token{}, errors.New("session.Issue: the signing key version changed twice while signing")
}

// ErrTooOld is returned by Issue when the session is MaxLifetime past its
// authentication: the person must log in again.
var ErrTooOld = errors.New("session: the login is more than 12h old: log in again")
