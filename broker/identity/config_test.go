package identity

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := Issuer{URL: "https://accounts.google.com", Audience: "iis"}
	mod := func(f func(*Issuer)) Config { is := ok; f(&is); return Config{Issuers: []Issuer{is}} }
	tests := []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"valid", Config{Issuers: []Issuer{ok}}, ""},
		{"dev issuer on loopback", mod(func(is *Issuer) { is.URL = "http://127.0.0.1:8085/oidc" }), ""},
		{"localhost", mod(func(is *Issuer) { is.URL = "http://localhost:8085" }), ""},
		{"no issuers", Config{}, "no trusted issuer"},
		{"http off loopback", mod(func(is *Issuer) { is.URL = "http://idp.example.com" }), "must use https"},
		{"relative url", mod(func(is *Issuer) { is.URL = "idp.example.com" }), "absolute URL"},
		{"url with query", mod(func(is *Issuer) { is.URL = "https://idp.example.com/?x=1" }), "absolute URL"},
		{"no audience", mod(func(is *Issuer) { is.Audience = " " }), "audience is required"},
		{"alg none", mod(func(is *Issuer) { is.Algorithms = []string{"RS256", "none"} }), `algorithm "none" is refused`},
		{"HS256", mod(func(is *Issuer) { is.Algorithms = []string{"HS256"} }), `algorithm "HS256" is refused`},
		{"unknown alg", mod(func(is *Issuer) { is.Algorithms = []string{"RS1"} }), `algorithm "RS1" is not supported`},
		{"skew too large", mod(func(is *Issuer) { is.ClockSkew = 6 * time.Minute }), "clock skew"},
		{"negative skew", mod(func(is *Issuer) { is.ClockSkew = -time.Second }), "clock skew"},
		{"bad jwks url", mod(func(is *Issuer) { is.JWKSURL = "http://evil.example.com/keys" }), "jwks_url"},
		{"duplicate", Config{Issuers: []Issuer{ok, ok}}, "duplicate issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
			if _, nerr := New(context.Background(), tt.cfg); (nerr == nil) != (err == nil) {
				t.Errorf("New() = %v, Validate() = %v: want both nil or both errors", nerr, err)
			}
		})
	}
}

func TestConfigDirectoryAndName(t *testing.T) {
	base := Issuer{URL: "https://idp.example.com", Audience: "iis"}
	for _, tt := range []struct {
		name    string
		edit    func(*Issuer)
		wantErr string
	}{
		{"defaults", func(*Issuer) {}, ""},
		{"every link", func(is *Issuer) {
			is.Directory.By = []string{LinkIdentity, LinkUserID, LinkExternalID, LinkUserName, LinkEmail}
		}, ""},
		{"unknown link", func(is *Issuer) { is.Directory.By = []string{"display_name"} }, `"display_name" is not one of`},
		{"link twice", func(is *Issuer) { is.Directory.By = []string{LinkEmail, LinkEmail} }, "listed twice"},
		{"good name", func(is *Issuer) { is.Name = "okta-prod" }, ""},
		{"bad name", func(is *Issuer) { is.Name = "Okta Prod" }, "lower-case letters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := base
			tt.edit(&is)
			err := Config{Issuers: []Issuer{is}}.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
	dup := Config{Issuers: []Issuer{{URL: "https://a.example", Audience: "x", Name: "corp"}, {URL: "https://b.example", Audience: "x", Name: "corp"}}}
	if err := dup.Validate(); err == nil || !strings.Contains(err.Error(), "duplicate name") {
		t.Errorf("Validate(two issuers named corp) = %v, want duplicate name", err)
	}
}
