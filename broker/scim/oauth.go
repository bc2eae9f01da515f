package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// oauthVerifier validates OAuth 2.0 client-credentials access tokens that
// are JWTs: signature (JWKS), issuer, audience, expiry, and optionally the
// client id.
type oauthVerifier struct {
	v       *oidc.IDTokenVerifier
	clients map[string]bool
}

func newOAuth(cfg OAuthConfig, now func() time.Time) *oauthVerifier {
	ks := cfg.KeySet
	if ks == nil {
		// Fetched lazily, cached, refreshed on an unknown key id at most
		// once per interval.
		ks = newJWKSKeySet(cfg.JWKSURL, &http.Client{Timeout: 10 * time.Second}, now)
	}
	o := &oauthVerifier{
		v: oidc.NewVerifier(cfg.Issuer, ks, &oidc.Config{
			ClientID: cfg.Audience, SupportedSigningAlgs: cfg.Algorithms, Now: now,
		}),
	}
	if len(cfg.ClientIDs) > 0 {
		o.clients = map[string]bool{}
		for _, c := range cfg.ClientIDs {
			o.clients[c] = true
		}
	}
	return o
}

// verify returns the client id of a valid token.
func (o *oauthVerifier) verify(ctx context.Context, raw string) (string, error) {
	tok, err := o.v.Verify(ctx, raw)
	if err != nil {
		return "", err
	}
	// Okta puts the client in cid (and client_id in newer tokens), Entra
	// ID in appid (v1) or azp (v2).
	var c struct {
		ClientID string `json:"client_id"`
		Azp      string `json:"azp"`
		AppID    string `json:"appid"`
		Cid      string `json:"cid"`
	}
	if err := tok.Claims(&c); err != nil {
		return "", fmt.Errorf("claims: %w", err)
	}
	// Never sub: a user's ID token for the same audience would pass as a client.
	client := firstOf(c.ClientID, c.Azp, c.AppID, c.Cid)
	switch {
	case client == "" || len(client) > 200 || strings.ContainsFunc(client, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", errors.New("the token names no usable client id")
	case !o.clients[client]:
		return "", fmt.Errorf("client %q is not allowed", client)
	}
	return client, nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
