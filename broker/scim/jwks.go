package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

const (
	jwksRefreshInterval = 30 * time.Second // least time between two fetches
	maxJWKSBytes        = 1 << 20
	maxKidlessKeys      = 4 // keys tried for a token without a key id
)

// signingAlgs are the algorithms a JWS may name here: asymmetric only. The
// verifier narrows them to the configured ones before the key set is asked.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// jwksKeySet is an oidc.KeySet over an issuer's JWKS URL whose fetches are
// rate limited. go-oidc's RemoteKeySet fetches the JWKS again for every
// token with an unknown key id, so anyone who can reach the SCIM endpoint
// could make the broker hammer the IdP; here a token with an unknown key id
// triggers at most one fetch per refresh interval, and is refused meanwhile.
// Until a key set has loaded, fetches are not rate limited (one at a time),
// so that a failed first fetch cannot lock every client out for a while.
type jwksKeySet struct {
	url     string
	client  *http.Client
	now     func() time.Time
	limiter *rate.Limiter
	flight  singleflight.Group

	mu     sync.Mutex
	keys   []jose.JSONWebKey
	loaded bool
}

func newJWKSKeySet(url string, client *http.Client, now func() time.Time) *jwksKeySet {
	return &jwksKeySet{url: url, client: client, now: now, limiter: rate.NewLimiter(rate.Every(jwksRefreshInterval), 1)}
}

// VerifySignature implements oidc.KeySet.
func (k *jwksKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, signingAlgs)
	if err != nil {
		return nil, fmt.Errorf("malformed token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("token must have exactly one signature")
	}
	hdr := jws.Signatures[0].Header
	keys := k.match(hdr.KeyID)
	if len(keys) == 0 {
		if err := k.refresh(ctx); err != nil {
			return nil, fmt.Errorf("no key %q in the key set: %w", hdr.KeyID, err)
		}
		if keys = k.match(hdr.KeyID); len(keys) == 0 {
			return nil, fmt.Errorf("no key %q in the key set", hdr.KeyID)
		}
	}
	for _, key := range keys {
		if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
			continue // the key is published for another algorithm
		}
		if payload, err := jws.Verify(key); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("signature does not verify")
}

// errRateLimited refuses a fetch within the refresh interval of the last.
var errRateLimited = errors.New("key set refresh rate limited")

// refresh fetches the key set, or waits for the fetch under way. The fetch
// runs on a context of its own: a caller that goes away must not cancel a
// fetch that other callers wait for, nor spend the interval's allowance.
func (k *jwksKeySet) refresh(ctx context.Context) error {
	ch := k.flight.DoChan("fetch", func() (any, error) {
		k.mu.Lock()
		loaded := k.loaded
		k.mu.Unlock()
		if loaded && !k.limiter.AllowN(k.now(), 1) {
			return nil, errRateLimited
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return nil, k.fetch(fctx)
	})
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// match returns the signing keys with key id kid (any, up to a few, when
// the token names none).
func (k *jwksKeySet) match(kid string) []jose.JSONWebKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []jose.JSONWebKey
	for _, key := range k.keys {
		if kid == "" || key.KeyID == kid {
			out = append(out, key)
		}
	}
	if kid == "" && len(out) > maxKidlessKeys {
		return nil
	}
	return out
}

func (k *jwksKeySet) fetch(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("jwks: fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("jwks: fetch: HTTP %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&set); err != nil {
		return fmt.Errorf("jwks: decode: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, key := range set.Keys {
		if key.Valid() && key.IsPublic() && key.Use != "enc" {
			keys = append(keys, key)
		}
	}
	k.mu.Lock()
	if !k.loaded { // the first load starts the interval
		k.limiter.AllowN(k.now(), 1)
	}
	k.keys, k.loaded = keys, true
	k.mu.Unlock()
	return nil
}
