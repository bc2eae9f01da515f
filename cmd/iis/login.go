package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/dataproc-iis/iis/broker/login"
)

func init() {
	register("login", "log in through your organisation's OIDC or SAML identity provider and keep a session", runLogin)
	register("logout", "forget the stored session", runLogout)
	register("whoami", "show who the stored session is for, and until when", runWhoami)
}

// defaultLoginURL is the login service of `iis dev`.
const defaultLoginURL = "http://127.0.0.1:8088/login"

type loginSettings struct {
	URL, IdP          string
	Device, NoBrowser bool
	Refresh           bool
	Timeout           time.Duration
}

func runLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s loginSettings
	f := newFlags("login", stderr)
	f.String(&s.URL, "login-url", "IIS_LOGIN_URL", defaultLoginURL, "the broker's login service")
	f.String(&s.IdP, "issuer", "IIS_LOGIN_ISSUER", "", "identity provider to log in with, as the login service names it (default: its only one)")
	f.BoolVar(&s.Device, "device", false, "print a URL and a code to enter in any browser (headless terminals, SSH)")
	f.BoolVar(&s.NoBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	f.BoolVar(&s.Refresh, "refresh", false, "refresh the stored session instead of logging in (refused once you are locked, or 12h after the login)")
	f.DurationVar(&s.Timeout, "timeout", 10*time.Minute, "how long to wait for the login to finish")
	if err := f.Parse(args); err != nil {
		return err
	}
	s.URL = strings.TrimSuffix(s.URL, "/")
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	var tok login.TokenResponse
	var err error
	switch {
	case s.Refresh:
		tok, err = refreshStored(ctx)
	default:
		if s.IdP == "" {
			if s.IdP, err = onlyIdP(ctx, s.URL); err != nil {
				return err
			}
		}
		if s.Device {
			tok, err = deviceLogin(ctx, s, stderr)
		} else {
			tok, err = loopbackLogin(ctx, s, stderr)
		}
	}
	if err != nil {
		return err
	}
	loginURL := s.URL
	if s.Refresh {
		if old, err := loadSession(); err == nil {
			loginURL = old.LoginURL
		}
	}
	path, err := saveSession(storedSession{LoginURL: loginURL, IdP: tok.IdP, Issuer: tok.Issuer, User: tok.User, Email: tok.Email,
		ExpiresAt: tok.ExpiresAt, Fingerprint: tok.Fingerprint, Token: tok.AccessToken})
	if err != nil {
		return fmt.Errorf("storing the session: %w", err)
	}
	fmt.Fprintf(stdout, "logged in as %s through %s until %s (session %s, kept in %s)\n",
		tok.User, tok.IdP, tok.ExpiresAt.Local().Format("15:04:05"), tok.Fingerprint, path)
	return nil
}

// onlyIdP asks the login service for its IdPs and picks the only one.
func onlyIdP(ctx context.Context, base string) (string, error) {
	var out struct {
		IdPs map[string]string `json:"idps"`
	}
	if err := getJSON(ctx, base+"/idps", &out); err != nil {
		return "", err
	}
	names := make([]string, 0, len(out.IdPs))
	for n, proto := range out.IdPs {
		names = append(names, n+" ("+proto+")")
	}
	sort.Strings(names)
	if len(out.IdPs) == 1 {
		for n := range out.IdPs {
			return n, nil
		}
	}
	return "", fmt.Errorf("choose an identity provider with -issuer: %s", strings.Join(names, ", "))
}

// loopbackLogin: the browser comes back to a listener on 127.0.0.1 with a
// code that only this process's PKCE verifier redeems (RFC 8252).
func loopbackLogin(ctx context.Context, s loginSettings, stderr io.Writer) (login.TokenResponse, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return login.TokenResponse{}, err
	}
	defer l.Close()
	redirect := "http://" + l.Addr().String() + "/callback"
	verifier, state := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()[:22]
	q := url.Values{"idp": {s.IdP}, "redirect_uri": {redirect}, "state": {state},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	start := s.URL + "/start?" + q.Encode()
	type result struct{ code, err string }
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("state") != state {
			http.Error(w, "this is not the login this terminal started", http.StatusBadRequest)
			return
		}
		res := result{code: q.Get("code"), err: strings.TrimSpace(q.Get("error") + " " + q.Get("error_description"))}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if res.code != "" {
			fmt.Fprint(w, "<!doctype html><title>Logged in</title><h1>Logged in</h1><p>Return to your terminal; you can close this tab.</p>")
		} else {
			fmt.Fprintf(w, "<!doctype html><title>Login refused</title><h1>Login refused</h1><p>%s</p>", html.EscapeString(res.err))
		}
		select {
		case got <- res:
		default:
		}
	})}
	go srv.Serve(l)
	defer srv.Close()
	fmt.Fprintf(stderr, "Log in through %s in your browser:\n  %s\n", s.IdP, start)
	if !s.NoBrowser {
		openBrowser(start)
	}
	var res result
	select {
	case res = <-got:
	case <-ctx.Done():
		return login.TokenResponse{}, errors.New("the login did not finish in time (try -device on a headless terminal)")
	}
	if res.code == "" {
		return login.TokenResponse{}, fmt.Errorf("login refused: %s", res.err)
	}
	return postToken(ctx, s.URL, url.Values{"grant_type": {login.GrantCode}, "code": {res.code}, "code_verifier": {verifier}, "redirect_uri": {redirect}})
}

// deviceLogin is RFC 8628: print a URL and a code, poll until the person
// has logged in elsewhere.
func deviceLogin(ctx context.Context, s loginSettings, stderr io.Writer) (login.TokenResponse, error) {
	var d struct {
		DeviceCode      string `json:"device_code"`
		UserCode        string `json:"user_code"`
		VerificationURI string `json:"verification_uri"`
		Complete        string `json:"verification_uri_complete"`
		Interval        int    `json:"interval"`
		Error           string `json:"error_description"`
	}
	if err := postJSON(ctx, s.URL+"/device/code", url.Values{"idp": {s.IdP}}, &d); err != nil {
		return login.TokenResponse{}, err
	}
	fmt.Fprintf(stderr, "To log in through %s, open\n  %s\nin any browser and enter the code  %s\n(or open %s)\n", s.IdP, d.VerificationURI, d.UserCode, d.Complete)
	interval := time.Duration(max(d.Interval, 1)) * time.Second
	for {
		select {
		case <-ctx.Done():
			return login.TokenResponse{}, errors.New("the login did not finish in time")
		case <-time.After(interval):
		}
		tok, err := postToken(ctx, s.URL, url.Values{"grant_type": {login.GrantDevice}, "device_code": {d.DeviceCode}})
		var te *tokenError
		switch {
		case err == nil:
			return tok, nil
		case errors.As(err, &te) && te.Code == "authorization_pending":
		case errors.As(err, &te) && te.Code == "slow_down":
			interval += 5 * time.Second
		default:
			return login.TokenResponse{}, err
		}
	}
}

// refreshStored swaps the stored session for a fresh one.
func refreshStored(ctx context.Context) (login.TokenResponse, error) {
	s, err := loadSession()
	if err != nil {
		return login.TokenResponse{}, err
	}
	return postToken(ctx, s.LoginURL, url.Values{"grant_type": {login.GrantRefresh}, "refresh_token": {s.Token}})
}

// tokenError is an OAuth error from the token endpoint.
type tokenError struct{ Code, Description string }

func (e *tokenError) Error() string { return strings.TrimSpace(e.Code + ": " + e.Description) }

func postToken(ctx context.Context, base string, form url.Values) (login.TokenResponse, error) {
	var tok login.TokenResponse
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return tok, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return tok, fmt.Errorf("is the login service at %s running? %w", base, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
			Desc  string `json:"error_description"`
		}
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			return tok, fmt.Errorf("login service answered %s", resp.Status)
		}
		return tok, &tokenError{Code: e.Error, Description: e.Desc}
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return tok, errors.New("the login service answered without a session")
	}
	return tok, nil
}

func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is the login service running? %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

func postJSON(ctx context.Context, u string, form url.Values, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is the login service running? %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, v)
}

// openBrowser tries the desktop's browser; the URL is printed anyway.
func openBrowser(u string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return
		}
		cmd = exec.Command("xdg-open", u)
	}
	if cmd.Start() == nil {
		go cmd.Wait()
	}
}

func runLogout(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("logout", stderr)
	if err := f.Parse(args); err != nil {
		return err
	}
	path, err := sessionPath()
	if err != nil {
		return err
	}
	s, _ := loadSession()
	if err := os.Remove(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(stdout, "not logged in")
		return nil
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "logged out: session %s forgotten (it stays valid until %s; your IdP session is untouched)\n",
		s.Fingerprint, s.ExpiresAt.Local().Format("15:04:05"))
	return nil
}

func runWhoami(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("whoami", stderr)
	var printToken bool
	f.BoolVar(&printToken, "token", false, "print only the session token, for a bearer header or the timeline page's sign-in (it is a secret)")
	if err := f.Parse(args); err != nil {
		return err
	}
	s, err := loadSession()
	if err != nil {
		return err
	}
	left := time.Until(s.ExpiresAt).Round(time.Second)
	if left <= 0 {
		return fmt.Errorf("the session of %s expired at %s: run `iis login`", s.User, s.ExpiresAt.Local().Format("15:04:05"))
	}
	if printToken {
		fmt.Fprintln(stdout, s.Token)
		return nil
	}
	fmt.Fprintf(stdout, "%s (%s) through %s\n  session %s from %s, expires %s (in %s)\n",
		s.User, s.Email, s.IdP, s.Fingerprint, s.Issuer, s.ExpiresAt.Local().Format(time.DateTime), left)
	return nil
}
