package devissuer

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const maxBody = 64 << 10

// Paths served under the issuer URL's path.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/jwks"
	TokenPath     = "/token"
)

// Handler serves the discovery document, the JWKS and the token endpoint at
// the issuer URL's path (for http://host/oidc: /oidc/.well-known/...,
// /oidc/jwks, /oidc/token). Mount it at that path or at the root.
//
// POST /token takes a form or a JSON object with sub, email, groups (a list,
// or comma-separated in a form), aud, ttl (a Go duration), principal_type and
// alg, and answers {"id_token", "token_type", "expires_in"}.
func (is *Issuer) Handler() http.Handler {
	base := ""
	if u, err := url.Parse(is.cfg.URL); err == nil {
		base = strings.TrimSuffix(u.Path, "/")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base+DiscoveryPath, is.serveDiscovery)
	mux.HandleFunc("GET "+base+JWKSPath, is.serveJWKS)
	mux.HandleFunc("POST "+base+TokenPath, is.serveToken)
	mux.HandleFunc("GET "+base+AuthorizePath, is.serveAuthorize)
	mux.HandleFunc("POST "+base+AuthorizePath, is.serveAuthorize)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Dev-Issuer", "development only: never trust this issuer in production")
		mux.ServeHTTP(w, r)
	})
}

func (is *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                is.cfg.URL,
		"jwks_uri":                              is.cfg.URL + JWKSPath,
		"token_endpoint":                        is.cfg.URL + TokenPath,
		"authorization_endpoint":                is.cfg.URL + AuthorizePath,
		"response_types_supported":              []string{"code", "id_token"},
		"grant_types_supported":                 []string{"authorization_code"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": is.algs(),
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nbf", "email", "email_verified", "groups", "principal_type"},
	})
}

func (is *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, is.jwks)
}

// tokenForm is the JSON body of POST /token.
type tokenForm struct {
	Subject       string          `json:"sub"`
	Email         string          `json:"email"`
	Groups        json.RawMessage `json:"groups"`
	Audience      string          `json:"aud"`
	TTL           string          `json:"ttl"`
	PrincipalType string          `json:"principal_type"`
	Alg           string          `json:"alg"`
}

func (is *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" && r.FormValue("grant_type") != "" {
		if r.PostForm.Get("grant_type") != "authorization_code" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
			return
		}
		is.exchange(w, r)
		return
	}
	req, err := readTokenRequest(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	raw, err := is.Mint(req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = is.cfg.DefaultTTL
	}
	writeJSON(w, http.StatusOK, map[string]any{"id_token": raw, "token_type": "Bearer", "expires_in": int(ttl / time.Second)})
}

// readTokenRequest decodes a form or JSON token request.
func readTokenRequest(r *http.Request) (TokenRequest, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	var f tokenForm
	var groups []string
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return TokenRequest{}, fmt.Errorf("json body: %w", err)
		}
		if len(f.Groups) > 0 && string(f.Groups) != "null" {
			if err := json.Unmarshal(f.Groups, &groups); err != nil {
				var one string
				if json.Unmarshal(f.Groups, &one) != nil {
					return TokenRequest{}, errors.New("groups: want a list of strings")
				}
				groups = splitList(one)
			}
		}
	case "application/x-www-form-urlencoded", "multipart/form-data", "":
		if err := r.ParseForm(); err != nil {
			return TokenRequest{}, fmt.Errorf("form: %w", err)
		}
		f = tokenForm{Subject: r.PostForm.Get("sub"), Email: r.PostForm.Get("email"), Audience: r.PostForm.Get("aud"),
			TTL: r.PostForm.Get("ttl"), PrincipalType: r.PostForm.Get("principal_type"), Alg: r.PostForm.Get("alg")}
		for _, g := range r.PostForm["groups"] {
			groups = append(groups, splitList(g)...)
		}
	default:
		return TokenRequest{}, fmt.Errorf("content type %q: send a form or JSON", ct)
	}
	req := TokenRequest{Subject: f.Subject, Email: f.Email, Groups: groups, Audience: f.Audience, PrincipalType: f.PrincipalType, Alg: f.Alg}
	if f.TTL != "" {
		d, err := time.ParseDuration(f.TTL)
		if err != nil {
			return TokenRequest{}, fmt.Errorf("ttl: %w", err)
		}
		req.TTL = d
	}
	return req, nil
}

func splitList(s string) []string {
	var out []string
	for g := range strings.SplitSeq(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
