package login

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dataproc-iis/iis/broker/identity"
)

// idpFile is one entry of the logins section of an issuers file.
type idpFile struct {
	Name string `yaml:"name"`
	OIDC *struct {
		Issuer              string   `yaml:"issuer"`
		ClientID            string   `yaml:"client_id"`
		ClientSecretFile    string   `yaml:"client_secret_file"`
		Scopes              []string `yaml:"scopes"`
		EmailClaim          string   `yaml:"email_claim"`
		AssumeEmailVerified bool     `yaml:"assume_email_verified"`
		Directory           linkFile `yaml:"directory"`
	} `yaml:"oidc"`
	SAML *struct {
		MetadataURL  string        `yaml:"metadata_url"`
		MetadataFile string        `yaml:"metadata_file"`
		EntityID     string        `yaml:"entity_id"`
		ClockSkew    time.Duration `yaml:"clock_skew"`
		Attributes   struct {
			Profile  string `yaml:"profile"`
			UserName string `yaml:"user_name"`
			Email    string `yaml:"email"`
			Groups   string `yaml:"groups"`
		} `yaml:"attributes"`
		Directory linkFile `yaml:"directory"`
	} `yaml:"saml"`
}

// linkFile is the directory link of a login IdP, as in the issuers section.
type linkFile struct {
	By              []string `yaml:"by"`
	ExternalIDClaim string   `yaml:"external_id_claim"`
	UserNameClaim   string   `yaml:"user_name_claim"`
}

func (l linkFile) link() identity.DirectoryLink {
	return identity.DirectoryLink{By: l.By, ExternalIDClaim: l.ExternalIDClaim, UserNameClaim: l.UserNameClaim}
}

// LoadIdPs reads the identity providers people may log in with from the
// logins section of an issuers file (the issuers section is package
// identity's):
//
//	logins:
//	  - name: okta
//	    oidc: {issuer: https://acme.okta.com, client_id: 0oa1..., client_secret_file: /secrets/okta}
//	  - name: adfs
//	    saml: {metadata_url: https://adfs.acme.com/FederationMetadata/2007-06/FederationMetadata.xml, attributes: {profile: adfs}}
//
// Unknown fields are refused. A client secret is read from its file.
func LoadIdPs(path string) ([]IdP, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Issuers yaml.Node `yaml:"issuers"`
		Logins  []idpFile `yaml:"logins"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []IdP
	for i, f := range doc.Logins {
		idp := IdP{Name: f.Name}
		if o := f.OIDC; o != nil {
			idp.OIDC = &OIDC{Issuer: o.Issuer, ClientID: o.ClientID, Scopes: o.Scopes,
				EmailClaim: o.EmailClaim, AssumeEmailVerified: o.AssumeEmailVerified, Directory: o.Directory.link()}
			if o.ClientSecretFile != "" {
				s, err := os.ReadFile(o.ClientSecretFile)
				if err != nil {
					return nil, fmt.Errorf("%s: logins[%d]: %w", path, i, err)
				}
				idp.OIDC.ClientSecret = strings.TrimSpace(string(s))
			}
		}
		if s := f.SAML; s != nil {
			idp.SAML = &SAML{MetadataURL: s.MetadataURL, MetadataFile: s.MetadataFile, EntityID: s.EntityID,
				ClockSkew: s.ClockSkew, Directory: s.Directory.link(),
				Attributes: Attributes{Profile: s.Attributes.Profile, UserName: s.Attributes.UserName, Email: s.Attributes.Email, Groups: s.Attributes.Groups}}
		}
		if err := idp.validate(); err != nil {
			return nil, fmt.Errorf("%s: logins[%d] (%s): %w", path, i, f.Name, err)
		}
		out = append(out, idp)
	}
	return out, nil
}
