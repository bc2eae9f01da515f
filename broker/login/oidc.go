package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// oidcRP is the relying party of one OIDC provider.
type oidcRP struct {
	s    *Server
	name string
	cfg  OIDC

	mu       sync.Mutex
	provider *oidc.Provider // nil until discovery succeeded
}

func newOIDC(s *Server, name string, cfg OIDC) *oidcRP { return &oidcRP{s: s, name: name, cfg: cfg} }

// discover returns the provider, discovering it on first use.
func (o *oidcRP) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.s.cfg.HTTPClient), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc.NewProvider: %w", err)
	}
	o.provider = p
	return p, nil
}

func (o *oidcRP) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(), Scopes: o.cfg.Scopes,
		RedirectURL: o.s.url("/oidc/" + o.name + "/callback"),
	}
}

// authURL fills the flow's nonce and PKCE verifier and returns the
// authorization URL (state = the flow id).
func (o *oidcRP) authURL(ctx context.Context, f *store.LoginFlow) (string, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	f.Nonce, f.PKCEVerifier = randomToken(24), oauth2.GenerateVerifier()
	return o.oauth(p).AuthCodeURL(f.ID, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.PKCEVerifier)), nil
}

// serveOIDCCallback is the redirect URI registered at the IdP.
func (s *Server) serveOIDCCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, rf := s.provider(r.PathValue("idp"))
	if rf == nil && p.oidc == nil {
		rf = refuse(StageIdP, ReasonUnknownIdP, http.StatusNotFound, "%s is not an OIDC provider", p.Name)
	}
	if rf != nil {
		s.audit(ctx, nil, failure(store.LoginFlow{IdP: r.PathValue("idp"), RemoteIP: remoteIP(r)}, rf))
		s.page(w, rf.status, "Login refused", rf.Error())
		return
	}
	q := r.URL.Query()
	f, rf, err := s.loadPending(ctx, q.Get("state"), p.Name, events.ProtocolOIDC, ReasonOIDCState)
	if err != nil {
		s.page(w, http.StatusServiceUnavailable, "Try again", "the login service cannot read the login; retry in a moment")
		return
	}
	if rf != nil {
		// A state of no pending flow: nothing to fail but the audit.
		fl := f
		if fl.ID == "" || fl.IdP != p.Name {
			fl = store.LoginFlow{IdP: p.Name, Protocol: events.ProtocolOIDC, RemoteIP: remoteIP(r)}
		}
		s.audit(ctx, nil, failure(fl, rf))
		s.page(w, rf.status, "Login refused", rf.Error())
		return
	}
	who, rf := p.oidc.callback(ctx, f, q.Get("code"), q.Get("error"), q.Get("error_description"))
	if rf == nil {
		var code string
		code, rf, err = s.authenticated(ctx, f, who)
		if err != nil {
			s.page(w, http.StatusServiceUnavailable, "Try again", "the login service cannot store the login; retry in a moment")
			return
		}
		if rf == nil {
			s.finish(w, r, f, code, nil)
			return
		}
		s.finish(w, r, f, "", rf)
		return
	}
	f.Subject, f.EvidenceFingerprint = who.Subject, who.Evidence
	s.failFlow(ctx, f, rf)
	s.finish(w, r, f, "", rf)
}

// callback checks the IdP's answer for flow f: the code is presented once,
// exchanged with the flow's PKCE verifier, and the ID token verified
// (signature, issuer, audience, expiry by go-oidc), its nonce the flow's.
func (o *oidcRP) callback(ctx context.Context, f store.LoginFlow, code, idpErr, idpDesc string) (identityClaim, *refusal) {
	var who identityClaim
	if idpErr != "" {
		return who, refuse(StageIdP, ReasonIdPError, http.StatusForbidden, "the identity provider answered %s: %s", truncate(idpErr, 64), truncate(idpDesc, 200))
	}
	if code == "" {
		return who, refuse(StageIdP, ReasonBadRequest, http.StatusBadRequest, "the callback carries no code")
	}
	// A code is single-use at any IdP; refuse a replay before it leaves.
	now := o.s.now()
	var first bool
	err := o.s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		first, err = tx.ConsumeOnce(ctx, "oidc_code:"+o.name+":"+hash(code), now, now.Add(o.s.cfg.FlowTTL))
		return err
	})
	switch {
	case err != nil:
		return who, refuse(StageIdP, "store_unavailable", http.StatusServiceUnavailable, "cannot check the code for replay: %v", err)
	case !first:
		return who, refuse(StageIdP, ReasonOIDCCodeReplayed, http.StatusBadRequest, "this authorization code was already presented")
	}
	p, err := o.discover(ctx)
	if err != nil {
		return who, refuse(StageIdP, ReasonIdPUnavailable, http.StatusBadGateway, "%v", err)
	}
	if f.PKCEVerifier == "" {
		return who, refuse(StageIdP, ReasonPKCEMissing, http.StatusBadRequest, "the flow holds no PKCE verifier")
	}
	tok, err := o.oauth(p).Exchange(oidc.ClientContext(ctx, o.s.cfg.HTTPClient), code, oauth2.VerifierOption(f.PKCEVerifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return who, refuse(StageIdP, ReasonOIDCExchange, http.StatusForbidden, "the identity provider refused the code: %s %s", re.ErrorCode, truncate(re.ErrorDescription, 200))
		}
		return who, refuse(StageIdP, ReasonIdPUnavailable, http.StatusBadGateway, "token endpoint: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return who, refuse(StageIdP, ReasonOIDCTokenInvalid, http.StatusForbidden, "the token response carries no id_token")
	}
	who.Evidence = identity.Fingerprint(raw)
	idt, err := p.VerifierContext(oidc.ClientContext(ctx, o.s.cfg.HTTPClient), &oidc.Config{ClientID: o.cfg.ClientID, Now: o.s.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		return who, refuse(StageIdP, ReasonOIDCTokenInvalid, http.StatusForbidden, "%v", err)
	}
	who.Issuer, who.Subject = idt.Issuer, idt.Subject
	if idt.Nonce != f.Nonce {
		return who, refuse(StageIdP, ReasonOIDCNonce, http.StatusForbidden, "the ID token's nonce is not this login's")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return who, refuse(StageIdP, ReasonOIDCTokenInvalid, http.StatusForbidden, "claims: %v", err)
	}
	return o.mapClaims(claims, who)
}

// mapClaims reads the e-mail (which counts only when the IdP vouches for
// it) and the claims the directory links name.
func (o *oidcRP) mapClaims(claims map[string]any, who identityClaim) (identityClaim, *refusal) {
	str := func(name string) string { s, _ := claims[name].(string); return strings.TrimSpace(s) }
	email := strings.ToLower(str(o.cfg.EmailClaim))
	verified, present := claims["email_verified"]
	ok := verified == true || verified == "true" || (!present && o.cfg.AssumeEmailVerified)
	links := linksOf(identity.Link{By: o.cfg.Directory.By})
	if email != "" && !ok {
		if slices.Equal(links, []string{identity.LinkEmail}) {
			return who, refuse(StageIdP, ReasonEmailUnverified, http.StatusForbidden, "the identity provider has not verified %s", email)
		}
		email = ""
	}
	who.Email = email
	who.Link.By = links
	if slices.Contains(links, identity.LinkExternalID) {
		who.Link.ExternalID = str(cmpOr(o.cfg.Directory.ExternalIDClaim, "sub"))
	}
	if slices.Contains(links, identity.LinkUserName) {
		who.Link.UserName = str(cmpOr(o.cfg.Directory.UserNameClaim, "preferred_username"))
	}
	if g, ok := claims["groups"].([]any); ok {
		for _, v := range g {
			if s, ok := v.(string); ok {
				who.Groups = append(who.Groups, s)
			}
		}
	}
	return who, nil
}
