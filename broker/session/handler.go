package session

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Paths served under the issuer URL's path.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/jwks"
)

// Handler serves the discovery document and the JWKS at the issuer URL's
// path (for https://iis.example.com/session: /session/.well-known/...
// and /session/jwks). Mount it at that path or at the root.
func (s *Sessions) Handler() http.Handler {
	base := ""
	if u, err := url.Parse(s.cfg.Issuer); err == nil {
		base = strings.TrimSuffix(u.Path, "/")
	}
	disc, _ := json.Marshal(map[string]any{
		"issuer":                                s.cfg.Issuer,
		"jwks_uri":                              s.cfg.Issuer + JWKSPath,
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{Alg},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "sid", "email", "email_verified", "preferred_username", "idp", "principal_type"},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base+DiscoveryPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(disc)
	})
	// The JWKS follows the key's versions (a rotation in KMS shows within
	// the signer's refresh); workers fetch it at most once a refresh
	// interval, and again for an unknown key id.
	mux.HandleFunc("GET "+base+JWKSPath, func(w http.ResponseWriter, r *http.Request) {
		set, err := s.KeySet(r.Context())
		if err != nil {
			http.Error(w, "the signing keys cannot be read; retry", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=60")
		json.NewEncoder(w).Encode(set)
	})
	return mux
}
