package login

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/identity"
)

func TestLoadIdPs(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	path := filepath.Join(dir, "issuers.yaml")
	os.WriteFile(path, []byte(`
issuers:
  - url: https://iis.example.com/session
    audience: iis
logins:
  - name: okta
    oidc: {issuer: https://acme.okta.com, client_id: 0oa1, client_secret_file: `+secret+`}
  - name: entra-saml
    saml: {metadata_url: https://login.microsoftonline.com/t/federationmetadata/2007-06/federationmetadata.xml, clock_skew: 90s, attributes: {profile: entra}}
`), 0o600)
	idps, err := LoadIdPs(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(idps) != 2 || idps[0].OIDC.ClientSecret != "s3cret" || idps[1].SAML.ClockSkew != 90*time.Second || idps[1].SAML.Attributes.Profile != ProfileEntra {
		t.Errorf("LoadIdPs() = %+v", idps)
	}
	// The same file serves the workers.
	if is, err := identity.LoadIssuers(path); err != nil || len(is) != 1 {
		t.Errorf("identity.LoadIssuers() = %v, %v", is, err)
	}
	for name, body := range map[string]string{
		"unknown field": "logins:\n  - name: x\n    oidc: {issuer: https://x, client_id: c, secret: inline}\n",
		"both":          "logins:\n  - name: x\n    oidc: {issuer: https://x, client_id: c}\n    saml: {metadata_url: https://x/md}\n",
		"bad profile":   "logins:\n  - name: x\n    saml: {metadata_url: https://x/md, attributes: {profile: ping}}\n",
		"skew":          "logins:\n  - name: x\n    saml: {metadata_url: https://x/md, clock_skew: 10m}\n",
		"http":          "logins:\n  - name: x\n    oidc: {issuer: http://idp.example.com, client_id: c}\n",
	} {
		os.WriteFile(path, []byte(body), 0o600)
		if _, err := LoadIdPs(path); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("LoadIdPs(%s) = %v, want an error", name, err)
		}
	}
}
