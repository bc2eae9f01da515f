package functions

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/signing"
)

// TestLoginEntryPoint: built from the environment as on Cloud Run, it
// serves the login service and the session issuer's discovery and JWKS.
func TestLoginEntryPoint(t *testing.T) {
	scimEnv(t) // a store and Pub/Sub through the environment
	dir := t.TempDir()
	if err := signing.GenerateKeyFile(filepath.Join(dir, "key.pem"), signing.ECP256SHA256); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "issuers.yaml"), []byte(`logins:
  - name: okta
    saml: {metadata_file: `+filepath.Join(dir, "none.xml")+`, attributes: {profile: okta}}
`), 0o600)
	t.Setenv("IIS_LOGIN_BASE_URL", "https://iis.example.com/login")
	t.Setenv("IIS_ISSUERS", filepath.Join(dir, "issuers.yaml"))
	t.Setenv("IIS_SESSION_KEY_FILE", filepath.Join(dir, "key.pem"))
	loginMu.Lock()
	loginCur = nil
	loginMu.Unlock()
	t.Cleanup(func() { loginMu.Lock(); loginCur = nil; loginMu.Unlock() })

	get := func(path string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		Login(rec, httptest.NewRequest("GET", "https://iis.example.com"+path, nil))
		var out map[string]any
		json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	if code, out := get("/session/.well-known/openid-configuration"); code != http.StatusOK || out["issuer"] != "https://iis.example.com/session" {
		t.Errorf("discovery = %d %v", code, out)
	}
	if code, out := get("/session/jwks"); code != http.StatusOK || len(out["keys"].([]any)) != 1 {
		t.Errorf("jwks = %d %v", code, out)
	}
	if code, out := get("/login/idps"); code != http.StatusOK || out["idps"].(map[string]any)["okta"] != "saml" {
		t.Errorf("idps = %d %v", code, out)
	}
	rec := httptest.NewRecorder()
	Login(rec, httptest.NewRequest("GET", "https://iis.example.com/login/saml/okta/metadata", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "https://iis.example.com/login/saml/okta/acs") {
		t.Errorf("SP metadata = %d %.200s", rec.Code, rec.Body.String())
	}
}
