package devissuer

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// AuthorizePath is the authorization endpoint of the code flow.
const AuthorizePath = "/authorize"

// codeTTL bounds an authorization code's life, as IdPs do (about a minute).
const codeTTL = time.Minute

// DefaultPassword is the dev users' password unless Config.Password is set.
const DefaultPassword = "iis-dev"

// User is a person who can log in at the dev issuer's login form.
type User struct {
	Email  string
	Name   string
	Groups []string
}

// Client is an OAuth client registered at the dev issuer (the broker's
// login service).
type Client struct {
	ID           string
	Secret       string   // empty: a public client (PKCE only)
	RedirectURIs []string // exact matches
}

// authCode is an issued authorization code, single use.
type authCode struct {
	client, redirect, nonce, challenge string
	user                               User
	expires                            time.Time
	used                               bool
}

// codes holds the issued codes.
type codes struct {
	mu sync.Mutex
	m  map[string]*authCode
}

var loginForm = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dev OIDC issuer · sign in</title></head>
<body><h1>Sign in (dev OIDC issuer)</h1>
<p>DEVELOPMENT ONLY. The dev users' password is printed by <code>iis dev</code>.</p>
{{if .Error}}<p><strong>{{.Error}}</strong></p>{{end}}
<form method="post" action="{{.Action}}">
<label>E-mail <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<input type="submit" value="Sign in">
</form></body></html>
`))

// authParams are the query parameters the form carries through.
var authParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"}

// serveAuthorize shows the login form (GET) or checks it (POST) and
// redirects with a code.
func (is *Issuer) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	params := map[string]string{}
	for _, k := range authParams {
		params[k] = r.Form.Get(k)
	}
	c, ok := is.clients[params["client_id"]]
	if !ok || !slices.Contains(c.RedirectURIs, params["redirect_uri"]) {
		// Never redirect to an unregistered URI (RFC 6749 §4.1.2.1).
		http.Error(w, "unknown client_id or redirect_uri", http.StatusBadRequest)
		return
	}
	redirectErr := func(code, desc string) {
		u, _ := url.Parse(params["redirect_uri"])
		q := u.Query()
		q.Set("error", code)
		q.Set("error_description", desc)
		q.Set("state", params["state"])
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	switch {
	case params["response_type"] != "code":
		redirectErr("unsupported_response_type", "only the code flow")
		return
	case params["code_challenge"] != "" && params["code_challenge_method"] != "S256":
		redirectErr("invalid_request", "code_challenge_method must be S256")
		return
	case !strings.Contains(" "+params["scope"]+" ", " openid "):
		redirectErr("invalid_scope", "scope must include openid")
		return
	}
	show := func(status int, msg string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		loginForm.Execute(w, struct {
			Action, Error string
			Params        map[string]string
		}{is.cfg.URL + AuthorizePath, msg, params})
	}
	if r.Method == http.MethodGet {
		show(http.StatusOK, "")
		return
	}
	u, ok := is.users[strings.ToLower(strings.TrimSpace(r.PostForm.Get("username")))]
	if !ok || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("password")), []byte(is.password)) != 1 {
		show(http.StatusUnauthorized, "Unknown user or wrong password.")
		return
	}
	code := randomID() + randomID()
	is.codes.mu.Lock()
	is.codes.m[code] = &authCode{client: c.ID, redirect: params["redirect_uri"], nonce: params["nonce"],
		challenge: params["code_challenge"], user: u, expires: is.cfg.Now().Add(codeTTL)}
	is.codes.mu.Unlock()
	to, _ := url.Parse(params["redirect_uri"])
	q := to.Query()
	q.Set("code", code)
	q.Set("state", params["state"])
	to.RawQuery = q.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// exchange redeems an authorization code (grant_type=authorization_code):
// the client authenticates, the code is used once, at its redirect URI,
// with the verifier of its PKCE challenge.
func (is *Issuer) exchange(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	c, ok := is.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		fail(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	is.codes.mu.Lock()
	ac := is.codes.m[r.PostForm.Get("code")]
	var reuse bool
	if ac != nil {
		reuse = ac.used
		ac.used = true
	}
	is.codes.mu.Unlock()
	verifier := r.PostForm.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	switch {
	case ac == nil:
		fail(http.StatusBadRequest, "invalid_grant", "unknown code")
		return
	case reuse:
		fail(http.StatusBadRequest, "invalid_grant", "code already used")
		return
	case ac.client != c.ID || ac.redirect != r.PostForm.Get("redirect_uri"):
		fail(http.StatusBadRequest, "invalid_grant", "code issued to another client or redirect_uri")
		return
	case !is.cfg.Now().Before(ac.expires):
		fail(http.StatusBadRequest, "invalid_grant", "code expired")
		return
	case ac.challenge != "" && verifier == "":
		fail(http.StatusBadRequest, "invalid_grant", "code_verifier is required (PKCE)")
		return
	case ac.challenge != "" && base64.RawURLEncoding.EncodeToString(sum[:]) != ac.challenge:
		fail(http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	extra := map[string]any{"name": ac.user.Name}
	if ac.nonce != "" {
		extra["nonce"] = ac.nonce
	}
	raw, err := is.Mint(TokenRequest{Email: ac.user.Email, Groups: ac.user.Groups, Audience: c.ID, TTL: 5 * time.Minute, Extra: extra})
	if err != nil {
		fail(http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id_token": raw, "access_token": randomID(), "token_type": "Bearer", "expires_in": 300})
}
