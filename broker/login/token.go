package login

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Grant types of the token endpoint.
const (
	GrantCode    = "authorization_code"
	GrantDevice  = "urn:ietf:params:oauth:grant-type:device_code"
	GrantRefresh = "refresh_token"
)

// TokenResponse is what the token endpoint answers with a session.
type TokenResponse struct {
	AccessToken string    `json:"access_token"` // the session token
	TokenType   string    `json:"token_type"`   // "Bearer"
	ExpiresIn   int       `json:"expires_in"`
	ExpiresAt   time.Time `json:"expires_at"`
	Issuer      string    `json:"issuer"`
	IdP         string    `json:"idp"`
	User        string    `json:"user"`
	Email       string    `json:"email,omitempty"`
	Fingerprint string    `json:"fingerprint"`
}

// serveToken is the token endpoint of the CLI: a loopback code with its
// PKCE verifier, a device code, or a refresh of a session.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the form cannot be read")
		return
	}
	ctx, form := r.Context(), r.PostForm
	var tok TokenResponse
	var rf *refusal
	var err error
	switch form.Get("grant_type") {
	case GrantCode:
		tok, rf, err = s.exchangeCode(ctx, form.Get("code"), form.Get("code_verifier"), form.Get("redirect_uri"), remoteIP(r))
	case GrantDevice:
		tok, rf, err = s.exchangeDevice(ctx, form.Get("device_code"), remoteIP(r))
	case GrantRefresh:
		tok, rf, err = s.refresh(ctx, form.Get("refresh_token"), remoteIP(r))
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code, device_code or refresh_token")
		return
	}
	switch {
	case err != nil:
		logCtx(ctx).Warn().Err(err).Msg("login: token endpoint")
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "retry in a moment")
	case rf != nil:
		oauthError(w, rf.status, rf.oauth, rf.Error())
	default:
		writeJSON(w, http.StatusOK, tok)
	}
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// findFlow returns the flow holding a one-time value, or a refusal.
func (s *Server) findFlow(ctx context.Context, key store.LoginKey, value, stage string) (store.LoginFlow, *refusal, error) {
	var f store.LoginFlow
	err := s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		f, err = tx.FindLoginFlow(ctx, key, hash(value))
		return err
	})
	if errors.Is(err, store.ErrNotFound) || value == "" {
		return f, grantRefusal(stage, ReasonFlowUnknown, "no login has this code"), nil
	}
	return f, nil, err
}

// exchangeCode redeems a loopback code: the CLI proves with its PKCE
// verifier that it started the login (RFC 7636), at the redirect URI it
// started with.
func (s *Server) exchangeCode(ctx context.Context, code, verifier, redirect, ip string) (TokenResponse, *refusal, error) {
	f, rf, err := s.findFlow(ctx, store.LoginByCode, code, StageExchange)
	if err != nil || rf != nil {
		if rf != nil {
			s.audit(ctx, nil, failure(store.LoginFlow{IdP: "unknown", Client: events.ClientLoopback, RemoteIP: ip}, rf))
		}
		return TokenResponse{}, rf, err
	}
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	switch {
	case f.Status == store.LoginDone:
		rf = grantRefusal(StageExchange, ReasonCodeReplayed, "this code was already exchanged")
	case f.Status != store.LoginAuthenticated:
		rf = grantRefusal(StageExchange, ReasonFlowUsed, "this login is %s", f.Status)
	case !s.now().Before(f.ExpiresAt):
		rf = grantRefusal(StageExchange, ReasonFlowExpired, "the code has expired; log in again")
	case f.Client != events.ClientLoopback || redirect != f.RedirectURI:
		rf = grantRefusal(StageExchange, ReasonRedirectURI, "redirect_uri is not the one the login started with")
	case verifier == "":
		rf = grantRefusal(StageExchange, ReasonPKCEMissing, "code_verifier is required")
	case subtle.ConstantTimeCompare([]byte(challenge), []byte(f.CodeChallenge)) != 1:
		rf = grantRefusal(StageExchange, ReasonPKCEMismatch, "code_verifier does not match the login's code_challenge")
	}
	if rf != nil {
		if f.Status == store.LoginDone {
			s.audit(ctx, nil, failure(f, rf))
		} else {
			s.audit(ctx, &f, failure(f, rf)) // a wrong verifier spends the code
		}
		return TokenResponse{}, rf, nil
	}
	return s.issueFor(ctx, f)
}

// exchangeDevice answers a device poll (RFC 8628 §3.4, §3.5).
func (s *Server) exchangeDevice(ctx context.Context, device, ip string) (TokenResponse, *refusal, error) {
	f, rf, err := s.findFlow(ctx, store.LoginByDeviceCode, device, StageExchange)
	if err != nil || rf != nil {
		if rf != nil {
			s.audit(ctx, nil, failure(store.LoginFlow{IdP: "unknown", Client: events.ClientDevice, RemoteIP: ip}, rf))
		}
		return TokenResponse{}, rf, err
	}
	now := s.now()
	wait := func(code, desc string) (TokenResponse, *refusal, error) {
		next := f
		next.PolledAt = now
		err := s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateLoginFlow(ctx, next, f.Status) })
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return TokenResponse{}, nil, err
		}
		r := grantRefusal(StageExchange, code, "%s", desc)
		r.oauth = code
		return TokenResponse{}, r, nil
	}
	switch {
	case !now.Before(f.ExpiresAt):
		r := grantRefusal(StageExchange, ReasonFlowExpired, "the code has expired; run iis login again")
		r.oauth = "expired_token"
		return TokenResponse{}, r, nil
	case f.Status == store.LoginFailed:
		r := grantRefusal(StageExchange, ReasonDeviceDenied, "the login was refused: %s", f.Reason)
		r.oauth = "access_denied"
		return TokenResponse{}, r, nil
	case f.Status == store.LoginDone:
		r := grantRefusal(StageExchange, ReasonCodeReplayed, "this device code was already exchanged")
		s.audit(ctx, nil, failure(f, r))
		return TokenResponse{}, r, nil
	case f.Status == store.LoginPending && !f.PolledAt.IsZero() && now.Sub(f.PolledAt) < s.cfg.PollInterval:
		return wait("slow_down", "poll less often")
	case f.Status == store.LoginPending:
		return wait("authorization_pending", "waiting for the person to log in")
	}
	return s.issueFor(ctx, f)
}

// issueFor issues the session of an authenticated flow. The directory is
// checked again (the person may have been locked since the IdP answered),
// the token is signed, and the flow's move to done commits together with
// login.succeeded and session.issued: a flow that another request finished
// first hands out nothing.
func (s *Server) issueFor(ctx context.Context, f store.LoginFlow) (TokenResponse, *refusal, error) {
	u, rf, err := s.currentUser(ctx, f.UserID, StageExchange)
	if err != nil || rf != nil {
		if rf != nil {
			s.audit(ctx, &f, failure(f, rf))
		}
		return TokenResponse{}, rf, err
	}
	tok, err := s.cfg.Sessions.Issue(ctx, session.Claims{UserID: u.ID, Email: primaryEmail(u), Name: strings.ToLower(u.UserName),
		IdP: f.IdP, AuthTime: f.AuthenticatedAt})
	if err != nil {
		return TokenResponse{}, nil, err
	}
	principal := principalOf(u)
	login := loginOf(f)
	succeeded, err := events.NewLoginSucceeded(s.cfg.Source, events.LoginSuccess{Login: login, Principal: principal, UserID: u.ID,
		SessionFingerprint: tok.Fingerprint, AuthenticatedAt: f.AuthenticatedAt}, events.WithTime(s.now()), events.WithSubject(u.ID))
	if err != nil {
		return TokenResponse{}, nil, err
	}
	issued, err := s.sessionIssued(tok, principal, events.SessionLogin, "", succeeded.ID())
	if err != nil {
		return TokenResponse{}, nil, err
	}
	done := f
	done.Status = store.LoginDone // the code hashes stay: a replay is recognised as one
	err = s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rf = nil
		now, err := tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if rf = userState(StageExchange, now); rf != nil {
			return nil
		}
		if err := tx.UpdateLoginFlow(ctx, done, f.Status); err != nil {
			if errors.Is(err, store.ErrConflict) {
				rf = grantRefusal(StageExchange, ReasonCodeReplayed, "this code was already exchanged")
				return nil
			}
			return err
		}
		return s.appendAll(ctx, tx, succeeded, issued)
	})
	if err != nil || rf != nil {
		if rf != nil {
			s.audit(ctx, &f, failure(f, rf))
		}
		return TokenResponse{}, rf, err
	}
	s.wake()
	logCtx(ctx).Info().Str("idp", f.IdP).Str("user_id", u.ID).Str("session", tok.Fingerprint).Time("expires_at", tok.ExpiresAt).Msg("session issued")
	return s.response(tok, u), nil, nil
}

// currentUser reads the directory user of a flow or session and refuses
// one who is gone, deactivated or locked.
func (s *Server) currentUser(ctx context.Context, id, stage string) (store.User, *refusal, error) {
	var u store.User
	err := s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return u, refuse(stage, ReasonPrincipalUnknown, http.StatusForbidden, "the directory no longer has this user"), nil
	}
	if err != nil {
		return u, nil, err
	}
	if rf := userState(stage, u); rf != nil {
		rf.oauth = "invalid_grant"
		return u, rf, nil
	}
	return u, nil, nil
}

func (s *Server) sessionIssued(tok session.Token, p events.Principal, reason, from, cause string) (event.Event, error) {
	opts := []events.Option{events.WithTime(s.now()), events.WithSubject(tok.Claims.UserID)}
	e, err := events.NewSessionIssued(s.cfg.Source, events.IssuedSession{
		Principal: p, UserID: tok.Claims.UserID, Fingerprint: tok.Fingerprint, KeyID: tok.KeyID,
		Issuer: s.cfg.Sessions.Issuer(), Audience: s.cfg.Sessions.Audience(), Reason: reason, IdP: tok.Claims.IdP,
		IssuedAt: tok.IssuedAt, ExpiresAt: tok.ExpiresAt, AuthTime: tok.Claims.AuthTime, RefreshedFrom: from,
	}, opts...)
	if err == nil && cause != "" {
		e.SetExtension(events.ExtCausationID, cause)
	}
	return e, err
}

func principalOf(u store.User) events.Principal {
	return events.Principal{ID: strings.ToLower(u.UserName), Email: primaryEmail(u), Type: events.PrincipalHuman}
}

func (s *Server) response(tok session.Token, u store.User) TokenResponse {
	return TokenResponse{AccessToken: tok.Raw, TokenType: "Bearer", ExpiresIn: int(tok.ExpiresAt.Sub(s.now()).Seconds()),
		ExpiresAt: tok.ExpiresAt, Issuer: s.cfg.Sessions.Issuer(), IdP: tok.Claims.IdP, User: strings.ToLower(u.UserName),
		Email: primaryEmail(u), Fingerprint: tok.Fingerprint}
}
