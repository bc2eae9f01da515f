package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/dataproc-iis/iis/broker/identity"
)

// ErrInvalid is returned (wrapped) by Verify for a token that is not a
// valid session token of this issuer.
var ErrInvalid = errors.New("session: invalid session token")

// leeway tolerated on exp and nbf when verifying a refresh.
const leeway = 30 * time.Second

// Verify checks a session token presented for a refresh: signature by one
// of the published key versions, issuer, audience and expiry. The workers
// do not use it: they verify sessions with package identity, like any
// issuer's tokens.
func (s *Sessions) Verify(ctx context.Context, raw string) (Claims, Token, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return Claims{}, Token{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(tok.Headers) != 1 {
		return Claims{}, Token{}, fmt.Errorf("%w: want one signature", ErrInvalid)
	}
	set, err := s.KeySet(ctx)
	if err != nil {
		return Claims{}, Token{}, err
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) == 0 {
		return Claims{}, Token{}, fmt.Errorf("%w: unknown key id %q", ErrInvalid, tok.Headers[0].KeyID)
	}
	var std jwt.Claims
	var p payload
	if err := tok.Claims(keys[0].Key, &std, &p); err != nil {
		return Claims{}, Token{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	now := s.cfg.Now()
	exp := jwt.Expected{Issuer: s.cfg.Issuer, AnyAudience: jwt.Audience{s.cfg.Audience}, Time: now}
	if err := std.ValidateWithLeeway(exp, leeway); err != nil {
		return Claims{}, Token{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if p.Sub == "" || p.IdP == "" || p.AuthTime == 0 {
		return Claims{}, Token{}, fmt.Errorf("%w: missing sub, idp or auth_time", ErrInvalid)
	}
	c := Claims{UserID: p.Sub, Email: p.Email, Name: p.Name, IdP: p.IdP, AuthTime: time.Unix(p.AuthTime, 0).UTC(), SessionID: p.Sid}
	t := Token{Fingerprint: identity.Fingerprint(raw), KeyID: tok.Headers[0].KeyID, IssuedAt: time.Unix(p.Iat, 0).UTC(),
		ExpiresAt: time.Unix(p.Exp, 0).UTC(), Claims: c}
	return c, t, nil
}
