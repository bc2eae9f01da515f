package identity

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// issuerFile is one entry of an issuers file.
type issuerFile struct {
	Name                string        `yaml:"name"`
	URL                 string        `yaml:"url"`
	Audience            string        `yaml:"audience"`
	Algorithms          []string      `yaml:"algorithms"`
	ClockSkew           time.Duration `yaml:"clock_skew"`
	TrustedForGroups    bool          `yaml:"trusted_for_groups"`
	JWKSURL             string        `yaml:"jwks_url"`
	AssumeEmailVerified bool          `yaml:"assume_email_verified"`
	Claims              struct {
		Principal string `yaml:"principal"`
		Email     string `yaml:"email"`
		Groups    string `yaml:"groups"`
		Type      string `yaml:"type"`
	} `yaml:"claims"`
	Directory struct {
		By              []string `yaml:"by"`
		ExternalIDClaim string   `yaml:"external_id_claim"`
		UserNameClaim   string   `yaml:"user_name_claim"`
	} `yaml:"directory"`
}

// LoadIssuers reads the trusted issuers from a YAML file
// (docs/configuration.md describes every field):
//
//	issuers:
//	  - name: google
//	    url: https://accounts.google.com
//	    audience: iis-prod
//	    algorithms: [RS256]
//	    clock_skew: 30s
//	    trusted_for_groups: false
//	    claims: {principal: email, groups: groups}
//	    directory: {by: [identity_link, email]}
//
// Unknown fields are refused, and the result is validated.
func LoadIssuers(path string) ([]Issuer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Issuers []issuerFile `yaml:"issuers"`
		// Logins is package login's section (the IdPs people log in with).
		Logins yaml.Node `yaml:"logins"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Issuer
	for _, f := range doc.Issuers {
		is := Issuer{Name: f.Name, URL: f.URL, Audience: f.Audience, Algorithms: f.Algorithms, ClockSkew: f.ClockSkew,
			TrustedForGroups: f.TrustedForGroups, JWKSURL: f.JWKSURL, AssumeEmailVerified: f.AssumeEmailVerified,
			Directory: DirectoryLink{By: f.Directory.By, ExternalIDClaim: f.Directory.ExternalIDClaim, UserNameClaim: f.Directory.UserNameClaim}}
		is.Claims.Principal, is.Claims.Email, is.Claims.Groups, is.Claims.Type = f.Claims.Principal, f.Claims.Email, f.Claims.Groups, f.Claims.Type
		out = append(out, is)
	}
	if err := (Config{Issuers: out}).Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
