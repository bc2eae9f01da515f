package timeline

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/store"
)

// Trail is the part of the store the page reads; store.Store implements it.
type Trail interface {
	audit.Trail
}

// TokenVerifier verifies session and ID tokens; *identity.Verifier
// implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (identity.Principal, error)
}

// PolicySource is the active policy; *policy.Holder implements it.
type PolicySource interface {
	Current() *policy.Policy
}

var (
	_ Trail         = store.Store(nil)
	_ TokenVerifier = (*identity.Verifier)(nil)
	_ PolicySource  = (*policy.Holder)(nil)
)

// Config configures the page.
type Config struct {
	Store     Trail
	Verifier  TokenVerifier
	Directory decision.Directory // who is active and unlocked (required)
	Policy    PolicySource       // who may read the audit trail (required)
	// BaseURL is the page's external URL (e.g. https://iis.example.com/timeline,
	// or http://127.0.0.1:8088/timeline in dev): its path is where it is
	// served, and the login callback is under it.
	BaseURL string
	// LoginURL is the login service (e.g. http://127.0.0.1:8088/login);
	// empty: browsers present a token pasted into the sign-in form, and
	// tools a bearer token. The login service accepts the page's callback
	// as a loopback redirect only (dev, or a port forward).
	LoginURL string
	// Window is how many of the newest audit records a search reads
	// (default 20,000).
	Window int
	// VerifyEvery is how long the chain's verification is reused (default 30s).
	VerifyEvery time.Duration
	Now         func() time.Time
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil || c.Verifier == nil || c.Directory == nil || c.Policy == nil {
		errs = append(errs, errors.New("timeline: Store, Verifier, Directory and Policy are required"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, errors.New("timeline: BaseURL must be an absolute http(s) URL"))
	} else if u.Scheme == "http" && !loopback(u.Hostname()) {
		errs = append(errs, errors.New("timeline: BaseURL must be https except on loopback"))
	}
	if c.LoginURL != "" {
		if u, err := url.Parse(c.LoginURL); err != nil || u.Host == "" {
			errs = append(errs, errors.New("timeline: LoginURL must be an absolute URL"))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	if c.Window <= 0 {
		c.Window = 20000
	}
	if c.VerifyEvery <= 0 {
		c.VerifyEvery = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func loopback(host string) bool {
	return host == "127.0.0.1" || host == "::1" || host == "localhost"
}
