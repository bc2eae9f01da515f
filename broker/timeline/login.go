package timeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// loginCookie holds a login in flight: its state and PKCE verifier, for
// the callback only.
const loginCookie = "iis_timeline_login"

// secure says whether cookies need HTTPS (everywhere but loopback).
func (s *Server) secure() bool { return strings.HasPrefix(s.cfg.BaseURL, "https://") }

func (s *Server) setCookie(w http.ResponseWriter, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteLaxMode})
}

// serveLogin starts a login through the login service: the IdP chosen (or
// the list to choose from), a state and a PKCE pair kept in a cookie.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	if s.cfg.LoginURL == "" {
		s.render(w, r, http.StatusOK, "signin", page{Title: "Sign in"})
		return
	}
	idp := r.URL.Query().Get("idp")
	if idp == "" {
		idps, err := s.idps(r.Context())
		if err != nil {
			s.render(w, r, http.StatusBadGateway, "signin", page{Title: "Sign in", Error: "the login service cannot be reached: " + err.Error()})
			return
		}
		s.render(w, r, http.StatusOK, "signin", page{Title: "Sign in", IdPs: idps})
		return
	}
	state, verifier := random(24), random(32)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"idp": {idp}, "redirect_uri": {s.cfg.BaseURL + "/callback"}, "state": {state},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	s.setCookie(w, loginCookie, state+"."+verifier, s.path+"/callback", 600)
	http.Redirect(w, r, s.cfg.LoginURL+"/start?"+q.Encode(), http.StatusFound)
}

// serveCallback redeems the login service's code with the verifier only
// this browser's cookie holds, and keeps the session token in the cookie.
func (s *Server) serveCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := r.Cookie(loginCookie)
	s.setCookie(w, loginCookie, "", s.path+"/callback", -1)
	if e := q.Get("error"); e != "" {
		s.render(w, r, http.StatusForbidden, "signin", page{Title: "Sign in", Error: "login refused: " + q.Get("error_description")})
		return
	}
	state, verifier, ok := "", "", err == nil
	if ok {
		state, verifier, ok = strings.Cut(c.Value, ".")
	}
	if !ok || subtle.ConstantTimeCompare([]byte(state), []byte(q.Get("state"))) != 1 || q.Get("code") == "" {
		s.render(w, r, http.StatusBadRequest, "signin", page{Title: "Sign in", Error: "this login was not started here, or took too long; sign in again"})
		return
	}
	tok, maxAge, err := s.exchange(r.Context(), q.Get("code"), verifier)
	if err != nil {
		s.render(w, r, http.StatusBadGateway, "signin", page{Title: "Sign in", Error: err.Error()})
		return
	}
	s.setCookie(w, cookieName, tok, s.path, maxAge)
	http.Redirect(w, r, s.path+"/", http.StatusFound)
}

// exchange posts the code to the login service's token endpoint.
func (s *Server) exchange(ctx context.Context, code, verifier string) (string, int, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {s.cfg.BaseURL + "/callback"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.LoginURL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("the login service cannot be reached: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err != nil {
		return "", 0, fmt.Errorf("the login service answered %s", resp.Status)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", 0, fmt.Errorf("login refused: %s %s", body.Error, body.Description)
	}
	return body.AccessToken, max(60, body.ExpiresIn), nil
}

// servePaste takes a token pasted into the sign-in form (where no login
// service is configured): `iis login` then `iis whoami -token`, or an ID
// token. Only a form posted from this page's own origin is taken.
func (s *Server) servePaste(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && origin != s.origin {
		http.Error(w, "cross-origin sign-in refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	tok := strings.TrimSpace(r.PostFormValue("token"))
	if tok == "" {
		s.render(w, r, http.StatusBadRequest, "signin", page{Title: "Sign in", Error: "paste a session or ID token"})
		return
	}
	s.setCookie(w, cookieName, tok, s.path, int((12 * time.Hour).Seconds()))
	http.Redirect(w, r, s.path+"/", http.StatusSeeOther)
}

// serveLogout forgets the browser's token.
func (s *Server) serveLogout(w http.ResponseWriter, r *http.Request) {
	s.setCookie(w, cookieName, "", s.path, -1)
	http.Redirect(w, r, s.path+"/login", http.StatusSeeOther)
}

// idps lists the login service's identity providers.
func (s *Server) idps(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.LoginURL+"/idps", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		IdPs map[string]string `json:"idps"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err != nil {
		return nil, fmt.Errorf("GET /idps: %s", resp.Status)
	}
	var out []string
	for n := range body.IdPs {
		out = append(out, n)
	}
	sortStrings(out)
	return out, nil
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
