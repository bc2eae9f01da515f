package login

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/store"
)

// Defaults and bounds.
const (
	DefaultSource       = "//dataproc-iis/login"
	DefaultFlowTTL      = 10 * time.Minute
	DefaultPollInterval = 5 * time.Second
	DefaultSAMLSkew     = 60 * time.Second
	// MaxSAMLSkew is the most clock skew a SAML IdP may be granted; the
	// SAML library itself never tolerates more.
	MaxSAMLSkew  = 180 * time.Second
	maxFormBytes = 512 << 10
)

// Config configures a Server.
type Config struct {
	// Store keeps flows, the replay cache, the directory and the outbox.
	Store store.Store
	// Audit appends login.failed, login.succeeded and session.issued.
	Audit audit.Log
	// Sessions issues the session tokens.
	Sessions *session.Sessions
	// BaseURL is the external URL of the login service, e.g.
	// https://iis.example.com/login: redirect URIs, the ACS and the SP
	// metadata derive from it.
	BaseURL string
	// IdPs are the identity providers people may log in with.
	IdPs []IdP
	// Source is the CloudEvents source of the events (default //dataproc-iis/login).
	Source string
	// FlowTTL bounds a login from start to exchange (default 10m).
	FlowTTL time.Duration
	// PollInterval is the least time between two device polls (default 5s).
	PollInterval time.Duration
	// HTTPClient fetches OIDC discovery, keys and tokens and SAML metadata
	// (default: a client with a 10s timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Wake, if set, is called after a commit that enqueued events.
	Wake func()
	// Log is used for requests whose context carries no logger.
	Log zerolog.Logger
}

// IdP is one identity provider: exactly one of OIDC and SAML is set.
type IdP struct {
	// Name is what `iis login -issuer NAME` selects ([a-z0-9._-]).
	Name string
	OIDC *OIDC
	SAML *SAML
}

// OIDC configures an OpenID Connect provider (authorization code + PKCE).
type OIDC struct {
	// Issuer is the provider's issuer URL (discovery at
	// Issuer/.well-known/openid-configuration).
	Issuer string
	// ClientID and ClientSecret of the broker's application at the IdP. The
	// secret may be empty for a public client (PKCE only).
	ClientID     string
	ClientSecret string
	// Scopes requested (default openid, email, profile).
	Scopes []string
	// EmailClaim is the e-mail claim (default "email").
	EmailClaim string
	// AssumeEmailVerified trusts an e-mail claim that comes without
	// email_verified (Entra ID never sends it).
	AssumeEmailVerified bool
	// Directory says how the person is linked to their directory user, as
	// for the workers' issuers (default: identity_link, then email).
	Directory identity.DirectoryLink
}

// SAML configures a SAML 2.0 identity provider.
type SAML struct {
	// MetadataURL or MetadataFile holds the IdP's metadata (entity id, SSO
	// URL, signing certificates). Exactly one.
	MetadataURL  string
	MetadataFile string
	// EntityID is the SP's entity id at the IdP, the audience its
	// assertions must name (default BaseURL/saml/NAME/metadata).
	EntityID string
	// ClockSkew tolerated on NotBefore and NotOnOrAfter (default 60s, at
	// most 180s).
	ClockSkew time.Duration
	// Attributes maps assertion attributes to the principal.
	Attributes Attributes
	// Directory says how the person is linked to their directory user: the
	// issuer is the IdP's entity id and the subject its NameID; external_id
	// compares the NameID with the SCIM externalId, user_name the
	// Attributes.UserName attribute with the userName (default:
	// identity_link, then email).
	Directory identity.DirectoryLink
}

// Attributes names the SAML attributes a principal is read from. Profile
// fills in the names an IdP sends by default; a name set here wins.
type Attributes struct {
	// Profile is "okta", "entra", "adfs" or "" (generic: e-mail from the
	// common names, principal from the NameID).
	Profile string
	// UserName is the attribute compared with the directory userName by
	// the user_name link (the profile's, else the NameID).
	UserName string
	// Email is the e-mail attribute; empty means the profile's, or the
	// NameID when its format is emailAddress.
	Email string
	// Groups is the groups attribute (recorded in login.succeeded; the
	// directory stays the authority on groups).
	Groups string
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

func (c *Config) setDefaults() {
	if c.Source == "" {
		c.Source = DefaultSource
	}
	if c.FlowTTL <= 0 {
		c.FlowTTL = DefaultFlowTTL
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	c.IdPs = slices.Clone(c.IdPs)
	for i := range c.IdPs {
		if o := c.IdPs[i].OIDC; o != nil {
			o2 := *o
			if len(o2.Scopes) == 0 {
				o2.Scopes = []string{"openid", "email", "profile"}
			}
			o2.EmailClaim = cmpOr(o2.EmailClaim, "email")
			c.IdPs[i].OIDC = &o2
		}
		if s := c.IdPs[i].SAML; s != nil {
			s2 := *s
			if s2.ClockSkew == 0 {
				s2.ClockSkew = DefaultSAMLSkew
			}
			if s2.EntityID == "" {
				s2.EntityID = c.BaseURL + "/saml/" + c.IdPs[i].Name + "/metadata"
			}
			s2.Attributes = s2.Attributes.withProfile()
			c.IdPs[i].SAML = &s2
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("login: Config.Store is required"))
	}
	if c.Sessions == nil {
		errs = append(errs, errors.New("login: Config.Sessions is required"))
	}
	if c.Audit.Topic == "" {
		errs = append(errs, errors.New("login: Config.Audit needs its topic"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) {
		errs = append(errs, fmt.Errorf("login: BaseURL %q must be https (http only on loopback)", c.BaseURL))
	}
	if len(c.IdPs) == 0 {
		errs = append(errs, errors.New("login: no identity provider configured"))
	}
	seen := map[string]bool{}
	for i, idp := range c.IdPs {
		if err := idp.validate(); err != nil {
			errs = append(errs, fmt.Errorf("login: idps[%d] (%s): %w", i, idp.Name, err))
		}
		if seen[idp.Name] {
			errs = append(errs, fmt.Errorf("login: idps[%d]: duplicate name %q", i, idp.Name))
		}
		seen[idp.Name] = true
	}
	return errors.Join(errs...)
}

func (idp IdP) validate() error {
	var errs []error
	if !nameRE.MatchString(idp.Name) {
		errs = append(errs, fmt.Errorf("name %q must match %s", idp.Name, nameRE))
	}
	if (idp.OIDC == nil) == (idp.SAML == nil) {
		return errors.Join(append(errs, errors.New("set exactly one of oidc and saml"))...)
	}
	if o := idp.OIDC; o != nil {
		if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) {
			errs = append(errs, fmt.Errorf("oidc.issuer %q must be https (http only on loopback)", o.Issuer))
		}
		if o.ClientID == "" {
			errs = append(errs, errors.New("oidc.client_id is required"))
		}
		if len(o.Scopes) > 0 && !slices.Contains(o.Scopes, "openid") {
			errs = append(errs, errors.New("oidc.scopes must include openid"))
		}
		errs = append(errs, checkLinks(o.Directory))
	}
	if s := idp.SAML; s != nil {
		if (s.MetadataURL == "") == (s.MetadataFile == "") {
			errs = append(errs, errors.New("set exactly one of saml.metadata_url and saml.metadata_file"))
		}
		if s.ClockSkew < 0 || s.ClockSkew > MaxSAMLSkew {
			errs = append(errs, fmt.Errorf("saml.clock_skew %s is outside [0, %s]", s.ClockSkew, MaxSAMLSkew))
		}
		errs = append(errs, checkLinks(s.Directory))
		switch s.Attributes.Profile {
		case "", ProfileOkta, ProfileEntra, ProfileADFS:
		default:
			errs = append(errs, fmt.Errorf("saml.attributes.profile %q is not okta, entra or adfs", s.Attributes.Profile))
		}
	}
	return errors.Join(errs...)
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := parseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkLinks refuses unknown or repeated directory links.
func checkLinks(l identity.DirectoryLink) error {
	seen := map[string]bool{}
	for _, by := range l.By {
		switch by {
		case identity.LinkIdentity, identity.LinkExternalID, identity.LinkUserName, identity.LinkEmail:
		case identity.LinkUserID:
			return errors.New("directory.by: user_id is only for the broker's own session issuer")
		default:
			return fmt.Errorf("directory.by: %q is not identity_link, external_id, user_name or email", by)
		}
		if seen[by] {
			return fmt.Errorf("directory.by: %q listed twice", by)
		}
		seen[by] = true
	}
	return nil
}
