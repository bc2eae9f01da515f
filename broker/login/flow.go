package login

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// challengeRE is an RFC 7636 S256 code challenge: base64url of 32 bytes.
var challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// serveStart begins a loopback login: the CLI opened the browser on
// /start?idp=&redirect_uri=&state=&code_challenge=&code_challenge_method=S256.
func (s *Server) serveStart(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.LoginFlow{IdP: q.Get("idp"), Client: events.ClientLoopback, RedirectURI: q.Get("redirect_uri"),
		ClientState: q.Get("state"), CodeChallenge: q.Get("code_challenge"), RemoteIP: remoteIP(r)}
	p, rf := s.provider(f.IdP)
	if rf == nil {
		f.Protocol = p.protocol()
		rf = checkStart(f, q.Get("code_challenge_method"))
	}
	if rf != nil {
		s.audit(r.Context(), nil, failure(f, rf))
		s.page(w, rf.status, "Login refused", rf.Error())
		return
	}
	s.begin(w, r, p, f)
}

func (s *Server) provider(name string) (*provider, *refusal) {
	p, ok := s.idps[name]
	if !ok {
		return nil, refuse(StageStart, ReasonUnknownIdP, http.StatusNotFound, "no identity provider named %q", name)
	}
	return p, nil
}

// checkStart checks what the CLI sent: a loopback redirect URI (RFC 8252
// §7.3: no other host may receive the code), a state and an S256 challenge.
func checkStart(f store.LoginFlow, method string) *refusal {
	u, err := url.Parse(f.RedirectURI)
	if err != nil || u.Scheme != "http" || !loopbackHost(u.Hostname()) || u.Port() == "" || u.User != nil || u.Fragment != "" {
		return refuse(StageStart, ReasonRedirectURI, http.StatusBadRequest, "redirect_uri must be http://127.0.0.1:PORT/... (a loopback listener of the CLI)")
	}
	switch {
	case f.ClientState == "" || len(f.ClientState) > 256:
		return refuse(StageStart, ReasonBadRequest, http.StatusBadRequest, "state is required (at most 256 characters)")
	case method != "S256" || !challengeRE.MatchString(f.CodeChallenge):
		return refuse(StageStart, ReasonBadRequest, http.StatusBadRequest, "code_challenge (S256) is required")
	}
	return nil
}

// begin stores a new flow and sends the browser to the IdP.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, p *provider, f store.LoginFlow) {
	ctx := r.Context()
	f.ID, f.Status, f.ExpiresAt = randomToken(24), store.LoginPending, s.now().Add(s.cfg.FlowTTL)
	redirect, err := s.leg(ctx, p, &f)
	if err != nil {
		rf := refuse(StageStart, ReasonIdPUnavailable, http.StatusBadGateway, "%s: %v", p.Name, err)
		s.audit(ctx, nil, failure(f, rf))
		s.page(w, rf.status, "Identity provider unavailable", rf.Error())
		return
	}
	if err := s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error { return tx.PutLoginFlow(ctx, f) }); err != nil {
		logCtx(ctx).Warn().Err(err).Msg("login: storing the flow failed")
		s.page(w, http.StatusServiceUnavailable, "Try again", "the login service cannot store the login; retry in a moment")
		return
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

// leg prepares the IdP's side of f (nonce and PKCE, or the AuthnRequest)
// and returns where to send the browser.
func (s *Server) leg(ctx context.Context, p *provider, f *store.LoginFlow) (string, error) {
	if p.oidc != nil {
		return p.oidc.authURL(ctx, f)
	}
	return p.saml.authURL(ctx, f)
}

// identityClaim is what an IdP's verified response says about the person.
type identityClaim struct {
	// Issuer and Subject: the OIDC issuer and sub, or the SAML IdP's entity
	// id and NameID.
	Issuer, Subject string
	Email           string // verified by the IdP, or ""
	Link            identity.Link
	Groups          []string
	Evidence        string // fingerprint of the ID token or assertion id
}

// principal is who shows in events: the verified e-mail, else the subject
// scoped to the issuer.
func (w identityClaim) principal() string {
	if w.Email != "" {
		return w.Email
	}
	if w.Subject == "" {
		return ""
	}
	return identity.Scoped(w.Issuer, w.Subject)
}

// authenticated completes the IdP's side of f: the directory must know the
// person; the flow then waits for the client's exchange. It returns the
// one-time code for a loopback client.
func (s *Server) authenticated(ctx context.Context, f store.LoginFlow, who identityClaim) (string, *refusal, error) {
	code := randomToken(32)
	next := f
	next.Status, next.PKCEVerifier, next.Nonce = store.LoginAuthenticated, "", ""
	next.Subject, next.EvidenceFingerprint, next.AuthenticatedAt = who.Subject, who.Evidence, s.now()
	if f.Client == events.ClientLoopback {
		next.CodeHash = hash(code)
	}
	var rf *refusal
	err := s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rf = nil
		u, r := checkDirectory(ctx, tx, StageDir, who)
		if r != nil {
			rf = r
			return nil
		}
		next.UserID, next.Principal, next.Email = u.ID, strings.ToLower(u.UserName), primaryEmail(u)
		if err := tx.UpdateLoginFlow(ctx, next, store.LoginPending); err != nil {
			if errors.Is(err, store.ErrConflict) {
				rf = refuse(StageIdP, ReasonFlowUsed, http.StatusConflict, "this login was already answered")
				return nil
			}
			return err
		}
		return nil
	})
	if rf != nil {
		f.Subject, f.EvidenceFingerprint = who.Subject, who.Evidence
		fl := failure(f, rf)
		fl.Principal = &events.Principal{ID: truncate(who.principal(), 256), Email: who.Email, Type: events.PrincipalHuman}
		if fl.Principal.ID == "" {
			fl.Principal = nil
		}
		s.audit(ctx, &f, fl)
	}
	return code, rf, err
}

// checkDirectory finds the person's directory user by the IdP's links, as
// the workers find a token's: unknown, ambiguous, deactivated and locked
// people get no session.
func checkDirectory(ctx context.Context, tx store.Tx, stage string, who identityClaim) (store.User, *refusal) {
	if who.Subject == "" && who.Email == "" {
		return store.User{}, refuse(stage, ReasonNoPrincipal, http.StatusForbidden, "the identity provider named nobody")
	}
	p := identity.Principal{ID: who.principal(), Issuer: who.Issuer, Subject: who.Subject, Email: who.Email, Link: who.Link}
	u, _, err := directory.Find(ctx, tx, p)
	switch {
	case errors.Is(err, decision.ErrNotFound):
		return u, refuse(stage, ReasonPrincipalUnknown, http.StatusForbidden, "%s is not in the directory (links tried: %s)", p.ID, strings.Join(linksOf(who.Link), ", "))
	case fault.ReasonOf(err) == ReasonAmbiguous:
		return u, refuse(stage, ReasonAmbiguous, http.StatusForbidden, "%s", err)
	case err != nil:
		return u, refuse(stage, "directory_unavailable", http.StatusServiceUnavailable, "the directory cannot be read: %v", err)
	}
	return u, userState(stage, u)
}

// userState refuses a deactivated or locked user.
func userState(stage string, u store.User) *refusal {
	var rf *refusal
	switch {
	case u.Locked:
		rf = refuse(stage, ReasonPrincipalLocked, http.StatusForbidden, "%s is locked in the directory", u.UserName)
	case !u.Active:
		rf = refuse(stage, ReasonPrincipalInactive, http.StatusForbidden, "%s is deactivated in the directory", u.UserName)
	default:
		return nil
	}
	rf.oauth = "invalid_grant"
	return rf
}

func linksOf(l identity.Link) []string {
	if len(l.By) == 0 {
		return identity.DefaultLinks
	}
	return l.By
}

// primaryEmail is the user's primary address (or only one), or "".
func primaryEmail(u store.User) string { return directory.PrimaryEmail(u) }

// finish answers the browser once the IdP's side of f is done: a loopback
// client gets the code (or the error) on its redirect URI, a device
// client's person a page.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, f store.LoginFlow, code string, rf *refusal) {
	if f.Client == events.ClientLoopback && f.RedirectURI != "" {
		u, err := url.Parse(f.RedirectURI)
		if err == nil {
			q := u.Query()
			q.Set("state", f.ClientState)
			if rf != nil {
				q.Set("error", "access_denied")
				q.Set("error_description", rf.Error())
			} else {
				q.Set("code", code)
			}
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.String(), http.StatusFound)
			return
		}
	}
	if rf != nil {
		s.page(w, rf.status, "Login refused", rf.Error())
		return
	}
	s.page(w, http.StatusOK, "Logged in", "You are logged in. Return to your terminal: it receives the session now.")
}

// loadPending returns the pending flow named by state for IdP name and
// protocol, or the refusal.
func (s *Server) loadPending(ctx context.Context, id, name, protocol, reason string) (store.LoginFlow, *refusal, error) {
	var f store.LoginFlow
	var rf *refusal
	err := s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		f, err = tx.GetLoginFlow(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound) || id == "":
			rf = refuse(StageIdP, reason, http.StatusBadRequest, "no pending login has this state")
			return nil
		case err != nil:
			return err
		case f.IdP != name || f.Protocol != protocol:
			rf = refuse(StageIdP, reason, http.StatusBadRequest, "the state belongs to another identity provider's login")
		case f.Status != store.LoginPending:
			rf = refuse(StageIdP, ReasonFlowUsed, http.StatusConflict, "this login was already answered")
		case !s.now().Before(f.ExpiresAt):
			rf = refuse(StageIdP, ReasonFlowExpired, http.StatusBadRequest, "the login took longer than %s; start again", s.cfg.FlowTTL)
		}
		return nil
	})
	return f, rf, err
}

// failFlow marks f failed (if it is still pending) and audits rf.
func (s *Server) failFlow(ctx context.Context, f store.LoginFlow, rf *refusal) {
	s.audit(ctx, &f, failure(f, rf))
}

// failure is the login.failed data of a refused step of f.
func failure(f store.LoginFlow, rf *refusal) events.LoginFailure {
	return events.LoginFailure{Login: loginOf(f), Stage: rf.stage, Reason: rf.reason, Message: truncate(rf.msg, 1000), UserID: f.UserID}
}

func loginOf(f store.LoginFlow) events.Login {
	l := events.Login{FlowID: f.ID, IdP: f.IdP, Protocol: f.Protocol, Client: f.Client, Subject: truncate(f.Subject, 500),
		RemoteIP: f.RemoteIP, EvidenceFingerprint: f.EvidenceFingerprint}
	if !nameRE.MatchString(l.IdP) {
		l.IdP = "unknown"
	}
	return l
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
