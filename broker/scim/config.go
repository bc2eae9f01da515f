package scim

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/dataproc-iis/iis/broker/store"
)

// Defaults of Config.
const (
	DefaultIdentityTopic = "iis-identity"
	DefaultAuditTopic    = "iis-audit"
	DefaultSource        = "//dataproc-iis/scim"
	DefaultBasePath      = "/scim/v2"
	DefaultMaxBodyBytes  = 1 << 20
	DefaultRateLimit     = rate.Limit(50) // requests per second per client
	DefaultRateBurst     = 100
	// MinTokenLength is the shortest bearer token accepted in the
	// configuration: a guessable token would defeat the endpoint.
	MinTokenLength = 16
)

// Config configures a Server.
type Config struct {
	// Store keeps the directory and the outbox. Required.
	Store store.Store
	// IdentityTopic is the Pub/Sub topic of the identity events.
	IdentityTopic string
	// AuditTopic is the audit topic: every identity event is also written
	// to the audit trail, in the transaction of the change it reports, so
	// that the trail holds the trigger of each cascade.
	AuditTopic string
	// Source is the CloudEvents source of the identity events.
	Source string

	// Tokens are the bearer tokens accepted, several at once so that a token
	// can be rotated without downtime: add the new one, move the IdP to it,
	// remove the old one.
	Tokens []string
	// TokensFile names a file of further tokens, one per line (blank lines
	// and lines starting with # are ignored). It is re-read when it changes,
	// so tokens rotate without a restart.
	TokensFile string
	// OAuth, if set, also accepts OAuth 2.0 client-credentials access tokens
	// (JWTs) from that issuer.
	OAuth *OAuthConfig

	// MaxBodyBytes caps a request body; larger bodies get 413.
	MaxBodyBytes int64
	// RateLimit is each client's sustained request rate (per token
	// fingerprint or OAuth client id) and RateBurst its burst; beyond it
	// requests get 429. rate.Inf disables the limit.
	RateLimit rate.Limit
	RateBurst int

	// BasePath is the path prefix of the endpoint. Requests may also address
	// the resources at the root (/Users) when the IdP's base URL is the host.
	BasePath string
	// BaseURL is the endpoint's external URL (https://iis.example.com/scim/v2)
	// used in Location headers and meta.location; by default it is derived
	// from the request (Host, X-Forwarded-Proto) and BasePath.
	BaseURL string

	// Now is the clock (default time.Now). The receive time of each request
	// is the time of the identity events it causes.
	Now func() time.Time
	// Wake, if set, is called after a commit that enqueued events, to wake
	// the outbox relay. It must not block.
	Wake func()
	// Log is used for requests whose context carries no zerolog logger.
	Log zerolog.Logger
}

// OAuthConfig validates OAuth 2.0 access tokens that are JWTs signed by an
// authorization server (Okta, Entra ID): the signature against the issuer's
// JWKS, the issuer, the audience and the expiry.
type OAuthConfig struct {
	Issuer   string // iss claim, exactly
	Audience string // one of the aud values
	JWKSURL  string // the issuer's JSON Web Key Set
	// ClientIDs, if not empty, are the only clients accepted (claim
	// client_id, azp, appid or cid).
	ClientIDs []string
	// Algorithms allowed (default RS256 and ES256).
	Algorithms []string
	// KeySet overrides JWKSURL (static keys, tests).
	KeySet oidc.KeySet
}

func (c *Config) setDefaults() {
	if c.IdentityTopic == "" {
		c.IdentityTopic = DefaultIdentityTopic
	}
	if c.AuditTopic == "" {
		c.AuditTopic = DefaultAuditTopic
	}
	if c.Source == "" {
		c.Source = DefaultSource
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.RateLimit <= 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.BasePath == "" {
		c.BasePath = DefaultBasePath
	}
	c.BasePath = "/" + strings.Trim(c.BasePath, "/")
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OAuth != nil && len(c.OAuth.Algorithms) == 0 {
		c.OAuth.Algorithms = []string{oidc.RS256, oidc.ES256}
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("scim: Config.Store is required"))
	}
	if len(c.Tokens) == 0 && c.TokensFile == "" && c.OAuth == nil {
		errs = append(errs, errors.New("scim: no client can authenticate: set Tokens, TokensFile or OAuth"))
	}
	for i, t := range c.Tokens {
		if err := checkToken(t); err != nil {
			errs = append(errs, fmt.Errorf("scim: Config.Tokens[%d]: %w", i, err))
		}
	}
	if u, err := url.Parse(c.Source); c.Source != "" && (err != nil || u.String() != c.Source) {
		errs = append(errs, fmt.Errorf("scim: Config.Source %q is not a URI reference", c.Source))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("scim: Config.BaseURL %q is not an absolute URL", c.BaseURL))
		}
	}
	if o := c.OAuth; o != nil {
		if o.Issuer == "" || o.Audience == "" || (o.JWKSURL == "" && o.KeySet == nil) {
			errs = append(errs, errors.New("scim: Config.OAuth needs Issuer, Audience and JWKSURL"))
		}
		if len(o.ClientIDs) == 0 {
			// An authorization server shares one audience across its clients.
			errs = append(errs, errors.New("scim: Config.OAuth needs ClientIDs: the clients allowed to provision"))
		}
	}
	return errors.Join(errs...)
}

// checkToken refuses a token too short to be secret or one that cannot
// travel in an Authorization header.
func checkToken(t string) error {
	if len(t) < MinTokenLength {
		return fmt.Errorf("token shorter than %d characters", MinTokenLength)
	}
	for _, r := range t {
		if r <= ' ' || r == 0x7f {
			return errors.New("token holds a space or a control character")
		}
	}
	return nil
}
