package identity

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults and bounds.
const (
	DefaultClockSkew       = 30 * time.Second
	MaxClockSkew           = 5 * time.Minute
	DefaultCacheSize       = 10_000
	DefaultCacheTTL        = 10 * time.Minute
	DefaultRefreshInterval = 30 * time.Second
	DefaultKeySetMaxAge    = time.Hour
	DefaultMaxTokenSize    = 16 << 10
	defaultHTTPTimeout     = 10 * time.Second
)

// DefaultAlgorithms are the signature algorithms an issuer allows unless
// configured otherwise.
var DefaultAlgorithms = []string{"RS256", "ES256"}

// supportedAlgs are the asymmetric JWS algorithms the verifier implements.
var supportedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Config configures a Verifier.
type Config struct {
	Issuers []Issuer

	// HTTPClient fetches discovery documents and key sets (default: a client
	// with a 10s timeout that follows redirects only to https, or http on
	// loopback).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// CacheSize bounds the cache of verified tokens (default 10000; negative
	// disables the cache).
	CacheSize int
	// CacheTTL bounds how long a verified token stays cached, below its
	// expiry (default 10m).
	CacheTTL time.Duration
	// RefreshInterval is the least time between two key-set fetches of one
	// issuer triggered by unknown key ids (default 30s), and between two
	// discovery attempts of an issuer that is down.
	RefreshInterval time.Duration
	// KeySetMaxAge is the age after which a key set is fetched again on
	// use (default 1h). If that fetch fails, the old keys stay in use.
	KeySetMaxAge time.Duration
	// MaxTokenSize bounds the size of a token (default 16 KiB).
	MaxTokenSize int
}

// Issuer is one trusted OIDC issuer.
type Issuer struct {
	// Name is an optional short name ([a-z][a-z0-9-]*) for logs and for
	// `iis login -issuer NAME`.
	Name string
	// URL is the issuer identifier; tokens' iss must equal it exactly.
	// https, or http on a loopback host (the dev issuer).
	URL string
	// Audience is the broker's audience at this issuer (required): tokens
	// minted for another client are refused.
	Audience string
	// Algorithms allowed (default RS256, ES256). none and HS* are refused.
	Algorithms []string
	// ClockSkew tolerated on exp, nbf and iat (default 30s, at most 5m).
	ClockSkew time.Duration
	// TrustedForGroups lets the token's groups claim count; otherwise it is
	// dropped and Principal.UntrustedGroups reports it.
	TrustedForGroups bool
	// Claims maps claims to the principal.
	Claims Claims
	// JWKSURL skips discovery and fetches keys from this URL.
	JWKSURL string
	// AssumeEmailVerified trusts the e-mail claim of tokens that carry no
	// email_verified claim. By default such an e-mail is dropped (and a
	// principal mapped from it is denied): set it only for an issuer whose
	// e-mail claim users cannot edit.
	AssumeEmailVerified bool
	// Directory says how a token is linked to its directory user.
	Directory DirectoryLink
}

// Claims names the claims a principal is read from.
type Claims struct {
	// Principal is the claim holding the principal id (default "email";
	// "sub" is another common choice). An e-mail id is lower-cased.
	Principal string
	// Email is the e-mail claim (default "email").
	Email string
	// Groups is the groups claim (default "groups"): a list of strings or
	// one string.
	Groups string
	// Type is a claim whose value "human" or "workload" says what the
	// principal is (default "principal_type"). Without it, an e-mail ending
	// in one of WorkloadEmailSuffixes makes a workload, anything else a
	// human.
	Type string
	// WorkloadEmailSuffixes (default ".gserviceaccount.com").
	WorkloadEmailSuffixes []string
}

// withDefaults returns c with defaults filled in.
func (c Config) withDefaults() Config {
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout, CheckRedirect: checkRedirect}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.KeySetMaxAge <= 0 {
		c.KeySetMaxAge = DefaultKeySetMaxAge
	}
	if c.MaxTokenSize <= 0 {
		c.MaxTokenSize = DefaultMaxTokenSize
	}
	c.Issuers = slices.Clone(c.Issuers)
	for i := range c.Issuers {
		is := &c.Issuers[i]
		if len(is.Algorithms) == 0 {
			is.Algorithms = DefaultAlgorithms
		}
		if is.ClockSkew == 0 {
			is.ClockSkew = DefaultClockSkew
		}
		is.Directory.setDefaults()
		cl := &is.Claims
		cl.Principal = cmpOr(cl.Principal, "email")
		cl.Email = cmpOr(cl.Email, "email")
		cl.Groups = cmpOr(cl.Groups, "groups")
		cl.Type = cmpOr(cl.Type, "principal_type")
		if cl.WorkloadEmailSuffixes == nil {
			cl.WorkloadEmailSuffixes = []string{".gserviceaccount.com"}
		}
	}
	return c
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Validate checks the configuration (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	if len(c.Issuers) == 0 {
		return errors.New("identity: no trusted issuer configured")
	}
	var errs []error
	seen, names := map[string]bool{}, map[string]bool{}
	for i, is := range c.Issuers {
		if err := is.validate(); err != nil {
			errs = append(errs, fmt.Errorf("identity: issuers[%d]: %w", i, err))
		}
		if seen[is.URL] {
			errs = append(errs, fmt.Errorf("identity: issuers[%d]: duplicate issuer %q", i, is.URL))
		}
		if is.Name != "" && names[is.Name] {
			errs = append(errs, fmt.Errorf("identity: issuers[%d]: duplicate name %q", i, is.Name))
		}
		seen[is.URL], names[is.Name] = true, true
	}
	return errors.Join(errs...)
}

func (is Issuer) validate() error {
	var errs []error
	if err := checkURL(is.URL); err != nil {
		errs = append(errs, fmt.Errorf("url: %w", err))
	}
	if is.JWKSURL != "" {
		if err := checkURL(is.JWKSURL); err != nil {
			errs = append(errs, fmt.Errorf("jwks_url: %w", err))
		}
	}
	if strings.TrimSpace(is.Audience) == "" {
		errs = append(errs, errors.New("audience is required (the broker's own client id at this issuer)"))
	}
	for _, alg := range is.Algorithms {
		switch {
		case strings.EqualFold(alg, "none"), strings.HasPrefix(strings.ToUpper(alg), "HS"):
			errs = append(errs, fmt.Errorf("algorithm %q is refused: only asymmetric signatures are allowed", alg))
		case !slices.Contains(supportedAlgs, alg):
			errs = append(errs, fmt.Errorf("algorithm %q is not supported (supported: %s)", alg, strings.Join(supportedAlgs, ", ")))
		}
	}
	if is.Name != "" && !issuerName.MatchString(is.Name) {
		errs = append(errs, fmt.Errorf("name %q: want lower-case letters, digits and dashes, starting with a letter", is.Name))
	}
	if err := is.Directory.validate(); err != nil {
		errs = append(errs, err)
	}
	if is.ClockSkew < 0 || is.ClockSkew > MaxClockSkew {
		errs = append(errs, fmt.Errorf("clock skew %s is outside [0, %s]", is.ClockSkew, MaxClockSkew))
	}
	return errors.Join(errs...)
}

// checkRedirect holds redirects to the rules of issuer URLs (no downgrade
// to http off loopback), and to at most 5 hops.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	return checkURL(req.URL.String())
}

// checkURL requires an absolute https URL, or http on a loopback host, with
// no query or fragment.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must be an absolute URL without user info, query or fragment", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%q must use https (http only on a loopback host)", s)
}
