package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

const (
	maxJWKSBytes = 1 << 20
	maxJWKSKeys  = 100
	// maxKidless bounds the keys tried for a token without a key id, so that
	// kid-less tokens cannot make us run a signature check per key of a
	// large key set.
	maxKidless = 4
)

// errRateLimited is returned when a fetch is refused by the issuer's limiter.
var errRateLimited = errors.New("key-set fetch rate limited")

// keySet is an issuer's keys as last fetched.
type keySet struct {
	byKID   map[string][]*verifyKey
	all     []*verifyKey
	fetched time.Time
}

// issuer is the state of one trusted issuer: its configuration, its
// discovered JWKS URL and its cached key set.
type issuer struct {
	cfg    Issuer
	algs   map[string]bool
	client *http.Client
	now    func() time.Time
	maxAge time.Duration

	mu      sync.Mutex // guards jwksURL
	jwksURL string
	keys    atomic.Pointer[keySet]
	limiter *rate.Limiter // network fetches (discovery and JWKS) after the first
	flight  singleflight.Group
}

func newIssuer(cfg Issuer, c Config) *issuer {
	is := &issuer{
		cfg:     cfg,
		algs:    map[string]bool{},
		client:  c.HTTPClient,
		now:     c.Now,
		maxAge:  c.KeySetMaxAge,
		jwksURL: cfg.JWKSURL,
		limiter: rate.NewLimiter(rate.Every(c.RefreshInterval), 1),
	}
	for _, a := range cfg.Algorithms {
		is.algs[a] = true
	}
	return is
}

// keysFor returns the keys that may verify a token with key id kid and
// algorithm alg. It loads the key set on first use, refreshes it when it is
// older than the maximum age, and on an unknown key id, all within the
// issuer's fetch rate limit.
func (is *issuer) keysFor(ctx context.Context, t *token) ([]*verifyKey, error) {
	kid, alg := t.kid, t.alg
	ks := is.keys.Load()
	switch {
	case ks == nil:
		var err error
		if ks, err = is.refresh(ctx); err != nil {
			return nil, unavailable(is.cfg.URL, err)
		}
	case is.now().Sub(ks.fetched) > is.maxAge:
		if fresh, err := is.refresh(ctx); err == nil {
			ks = fresh
		} else if !errors.Is(err, errRateLimited) {
			zerolog.Ctx(ctx).Warn().Err(err).Str("issuer", is.cfg.URL).Msg("jwks refresh failed; keeping the cached keys")
		}
	}
	keys := ks.lookup(kid)
	if kid == "" && len(keys) > maxKidless {
		return nil, fault.Permanentf(ReasonUnknownKey, "token without a key id, and %s publishes %d keys", is.cfg.URL, len(keys))
	}
	if len(keys) == 0 {
		// Only a token that could be genuine may spend the refresh
		// allowance: one that is expired, for another audience or carries a
		// signature of the wrong size would fail whatever the keys.
		if err := is.plausible(t, is.now()); err != nil {
			return nil, err
		}
		fresh, err := is.refresh(ctx)
		switch {
		case errors.Is(err, errRateLimited) && !issuedSince(t, ks.fetched.Add(-is.cfg.ClockSkew)):
			// Issued before the key set was fetched (IdPs publish a key
			// before they sign with it), or saying nothing of when: it is
			// not a key rotated in since. Refused, not retried, so that a
			// spray of forged key ids cannot be redelivered many times.
			return nil, fault.Permanentf(ReasonUnknownKey, "no key %q in the key set of %s, fetched after the token was issued", kid, is.cfg.URL)
		case errors.Is(err, errRateLimited):
			// Not permanent: the key may have been rotated in since the
			// last fetch (and a spray of forged key ids may have spent the
			// allowance). The message is retried after the next refresh.
			return nil, fault.AsTransient(ReasonKeyRefreshLimited,
				fmt.Errorf("no key %q in the key set of %s, and its refresh is rate limited: retry later", kid, is.cfg.URL))
		case err != nil:
			return nil, unavailable(is.cfg.URL, err)
		}
		if keys = fresh.lookup(kid); len(keys) == 0 {
			return nil, fault.Permanentf(ReasonUnknownKey, "no key %q in the key set of %s", kid, is.cfg.URL)
		}
	}
	fit := keys
	if !slices.ContainsFunc(keys, func(k *verifyKey) bool { return k.fits(alg) }) {
		fit = nil
	} else if slices.ContainsFunc(keys, func(k *verifyKey) bool { return !k.fits(alg) }) {
		fit = slices.DeleteFunc(slices.Clone(keys), func(k *verifyKey) bool { return !k.fits(alg) })
	}
	if len(fit) == 0 {
		return nil, fault.Permanentf(ReasonAlgNotAllowed, "alg %s does not match key %q of %s", alg, kid, is.cfg.URL)
	}
	return fit, nil
}

// issuedSince reports whether the token has an iat that is not before at.
func issuedSince(t *token, at time.Time) bool {
	iat, ok, err := t.time("iat")
	return err == nil && ok && !iat.Before(at)
}

// hasKey reports whether the current key set still holds kid (a cached
// token whose key was rotated out is verified again).
func (is *issuer) hasKey(kid string) bool {
	ks := is.keys.Load()
	return ks != nil && len(ks.lookup(kid)) > 0
}

// lookup returns the keys with key id kid; a token without kid may be
// verified by any key.
func (ks *keySet) lookup(kid string) []*verifyKey {
	if kid == "" {
		return ks.all
	}
	return ks.byKID[kid]
}

func unavailable(iss string, err error) error {
	return fault.AsTransient(ReasonIssuerUnavailable, fmt.Errorf("issuer %s: %w", iss, err))
}

// refresh fetches the key set (discovering the JWKS URL first if needed),
// once at a time and at most once per refresh interval.
func (is *issuer) refresh(ctx context.Context) (*keySet, error) {
	v, err, _ := is.flight.Do("jwks", func() (any, error) {
		now := is.now()
		r := is.limiter.ReserveN(now, 1)
		if !r.OK() || r.DelayFrom(now) > 0 {
			r.CancelAt(now)
			telemetry.Current().JWKSRefresh(ctx, is.cfg.URL, "rate_limited")
			return nil, errRateLimited
		}
		first := is.keys.Load() == nil
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*defaultHTTPTimeout)
		defer cancel()
		ks, err := is.fetch(fctx)
		if err != nil {
			telemetry.Current().JWKSRefresh(ctx, is.cfg.URL, "error")
			return nil, err // a failed fetch counts: an issuer that is down is not hammered
		}
		telemetry.Current().JWKSRefresh(ctx, is.cfg.URL, "ok")
		if first {
			r.CancelAt(now) // loading the keys is not a refresh: the allowance stays for a rotation
		}
		is.keys.Store(ks)
		zerolog.Ctx(ctx).Info().Str("issuer", is.cfg.URL).Int("keys", len(ks.all)).Msg("jwks fetched")
		return ks, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*keySet), nil
}

// fetch discovers the JWKS URL if needed and downloads the key set.
func (is *issuer) fetch(ctx context.Context) (*keySet, error) {
	jwksURL, err := is.discover(ctx)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("http.NewRequest: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := is.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", jwksURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", jwksURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", jwksURL, resp.Status)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("GET %s: key set larger than %d bytes", jwksURL, maxJWKSBytes)
	}
	ks, skipped, err := parseKeySet(body)
	if err != nil {
		return nil, fmt.Errorf("key set at %s: %w", jwksURL, err)
	}
	if skipped > 0 {
		zerolog.Ctx(ctx).Warn().Str("issuer", is.cfg.URL).Int("skipped_keys", skipped).Msg("jwks has keys that cannot verify signatures")
	}
	ks.fetched = is.now()
	return ks, nil
}

// discover returns the JWKS URL, from configuration or from the issuer's
// discovery document (go-oidc checks that the document names the issuer).
func (is *issuer) discover(ctx context.Context) (string, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.jwksURL != "" {
		return is.jwksURL, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, is.client), is.cfg.URL)
	if err != nil {
		return "", fmt.Errorf("oidc.NewProvider: %w", err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&doc); err != nil {
		return "", fmt.Errorf("discovery document: %w", err)
	}
	if err := checkURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("discovery document: jwks_uri: %w", err)
	}
	is.jwksURL = doc.JWKSURI
	return is.jwksURL, nil
}

// parseKeySet reads a JWKS, keeping the public signature keys it can use
// (RSA of at least 2048 bits, ECDSA P-256/384/521, Ed25519) and counting the
// others.
func parseKeySet(body []byte) (*keySet, int, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, 0, err
	}
	if len(doc.Keys) > maxJWKSKeys {
		return nil, 0, fmt.Errorf("%d keys, more than %d", len(doc.Keys), maxJWKSKeys)
	}
	ks := &keySet{byKID: map[string][]*verifyKey{}}
	skipped := 0
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil || (jwk.Use != "" && jwk.Use != "sig") {
			skipped++
			continue
		}
		pub := jwk.Public() // a private key published by mistake is used as its public half
		k := &verifyKey{kid: jwk.KeyID, alg: jwk.Algorithm}
		switch key := pub.Key.(type) {
		case *rsa.PublicKey:
			if key.N.BitLen() < minRSABits {
				skipped++
				continue
			}
			k.pub = key
		case *ecdsa.PublicKey, ed25519.PublicKey:
			k.pub = key
		default:
			skipped++
			continue
		}
		ks.all = append(ks.all, k)
		ks.byKID[k.kid] = append(ks.byKID[k.kid], k)
	}
	if len(ks.all) == 0 {
		return nil, skipped, errors.New("no usable signature key")
	}
	return ks, skipped, nil
}
