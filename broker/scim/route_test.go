package scim_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/scim"
)

func TestPathNormalisation(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("ada@example.com", "")
	for _, p := range []string{
		"/scim/v2/Users", "/scim/v2/Users/", "/scim/v2/users", "/SCIM/V2/USERS/", "/scim/v2//Users", "/Users", "/users/",
		"/scim/v2/Users/" + id, "/scim/v2/Users/" + id + "/", "/scim/v2/uSeRs/" + id, "/Users/" + id,
		"/scim/v2/Groups", "/scim/v2/groups/",
		"/scim/v2/ServiceProviderConfig", "/scim/v2/serviceproviderconfig/", "/ServiceProviderConfig",
		"/scim/v2/ResourceTypes", "/scim/v2/resourcetypes/User", "/scim/v2/Schemas", "/scim/v2/schemas/" + ent,
	} {
		if w := e.do("GET", p, ""); w.Code != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", p, w.Code, w.Body)
		}
	}
	for _, p := range []string{"/scim/v2/Users/" + strings.ToUpper(id), "/scim/v2/Usersx", "/scim/v3/Users", "/scim/v2/Users/a/b", "/scim/v2/Users/%00"} {
		if w := e.do("GET", p, ""); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, w.Code)
		}
	}
	// Locations follow the way the client addressed the endpoint.
	w := e.do("POST", "/Users", `{"userName":"root@example.com"}`)
	if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "https://"+host+"/Users/") {
		t.Errorf("Location of a POST to /Users = %q, want it under https://%s/Users/", loc, host)
	}
	r := httptest.NewRequest("POST", "http://internal:8080/scim/v2/Users", strings.NewReader(`{"userName":"fwd@example.com"}`))
	r.Header.Set("Authorization", "Bearer "+oktaToken)
	r.Header.Set("X-Forwarded-Proto", "https")
	w = httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "https://internal:8080/scim/v2/Users/") {
		t.Errorf("Location behind a proxy = %q, want https://internal:8080/scim/v2/Users/...", loc)
	}
	fixed := newEnv(t, func(c *scim.Config) { c.BaseURL = "https://scim.example.com/scim/v2/" })
	w = fixed.do("POST", "/scim/v2/Users", `{"userName":"base@example.com"}`)
	if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "https://scim.example.com/scim/v2/Users/") {
		t.Errorf("Location with BaseURL = %q, want it under the BaseURL", loc)
	}
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	spc := e.must(http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", "")
	want := map[string]any{
		"patch": true, "filter": true, "sort": true, "bulk": false, "changePassword": false, "etag": false,
	}
	for feature, supported := range want {
		if path(spc, feature, "supported") != supported {
			t.Errorf("ServiceProviderConfig %s.supported = %v, want %v", feature, path(spc, feature, "supported"), supported)
		}
	}
	if path(spc, "filter", "maxResults") != 200.0 || path(spc, "authenticationSchemes", 0, "type") != "oauthbearertoken" ||
		path(spc, "meta", "location") != base+"/ServiceProviderConfig" || path(spc, "schemas", 0) != "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig" {
		t.Errorf("ServiceProviderConfig = %v", spc)
	}
	rts := e.must(http.StatusOK, "GET", "/scim/v2/ResourceTypes", "")
	if rts["totalResults"] != 2.0 || path(rts, "Resources", 0, "schemaExtensions", 0, "schema") != ent {
		t.Errorf("ResourceTypes = %v, want User (with the enterprise extension) and Group", rts)
	}
	w := e.do("GET", "/scim/v2/Schemas", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), ent) || strings.Contains(w.Body.String(), `"password"`) {
		t.Errorf("Schemas = %d %s, want the enterprise schema and no password attribute", w.Code, w.Body)
	}
	if w := e.do("POST", "/scim/v2/Schemas", "{}"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /Schemas = %d, want 405", w.Code)
	}
	if w := e.do("GET", "/scim/v2/Schemas/urn:nope", ""); w.Code != http.StatusNotFound {
		t.Errorf("GET unknown schema = %d, want 404", w.Code)
	}
}
