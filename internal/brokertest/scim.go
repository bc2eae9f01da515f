package brokertest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/scim"
	"github.com/dataproc-iis/iis/broker/telemetry"
)

// SCIMToken is the bearer token of the test SCIM endpoint.
const SCIMToken = "brokertest-scim-token-0123456789"

// SCIM serves the broker's SCIM endpoint on an httptest server and returns
// its base URL (…/scim/v2).
func (e *Env) SCIM() string {
	e.T.Helper()
	srv, err := scim.New(scim.Config{
		Store: e.Broker.Store, IdentityTopic: e.Config.Topology.Identity, AuditTopic: e.Config.Topology.Audit, Tokens: []string{SCIMToken},
		Wake: e.Broker.Relay.Wake, Log: zerolog.Nop(),
	})
	if err != nil {
		e.T.Fatal(err)
	}
	ts := httptest.NewServer(telemetry.HTTPHandler(srv, "scim")) // as iis scim serves it
	e.T.Cleanup(ts.Close)
	return ts.URL + "/scim/v2"
}

// SCIMUserID finds a user's SCIM id by userName.
func (e *Env) SCIMUserID(base, userName string) string {
	e.T.Helper()
	resp := e.scimDo("GET", base+"/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), "")
	defer resp.Body.Close()
	var list struct {
		Resources []struct{ ID string } `json:"Resources"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Resources) != 1 {
		e.T.Fatalf("SCIM lookup of %s: %d resources, %v", userName, len(list.Resources), err)
	}
	return list.Resources[0].ID
}

// SCIMGroupID finds a group's SCIM id by displayName.
func (e *Env) SCIMGroupID(base, name string) string {
	e.T.Helper()
	resp := e.scimDo("GET", base+"/Groups?filter="+url.QueryEscape(`displayName eq "`+name+`"`), "")
	defer resp.Body.Close()
	var list struct {
		Resources []struct{ ID string } `json:"Resources"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Resources) != 1 {
		e.T.Fatalf("SCIM lookup of group %s: %d resources, %v", name, len(list.Resources), err)
	}
	return list.Resources[0].ID
}

// SCIMDeactivate sends Okta's deactivation: PATCH active=false.
func (e *Env) SCIMDeactivate(base, id string) {
	e.T.Helper()
	resp := e.scimDo("PATCH", base+"/Users/"+id,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.T.Fatalf("SCIM deactivate: %s", resp.Status)
	}
}

// SCIMRemoveMember sends Entra ID's member removal: PATCH the group with
// op Remove, path members, and the user's id.
func (e *Env) SCIMRemoveMember(base, groupName, userName string) {
	e.T.Helper()
	gid, uid := e.SCIMGroupID(base, groupName), e.SCIMUserID(base, userName)
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"` + uid + `"}]}]}`
	if code := e.SCIMPatch(base, "/Groups/"+gid, body); code/100 != 2 {
		e.T.Fatalf("SCIM member removal: %d", code)
	}
}

// SCIMPatch sends any PATCH body to path (relative to base) and returns the status.
func (e *Env) SCIMPatch(base, path, body string) int {
	e.T.Helper()
	resp := e.scimDo("PATCH", base+path, body)
	resp.Body.Close()
	return resp.StatusCode
}

func (e *Env) scimDo(method, u, body string) *http.Response {
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+SCIMToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	return resp
}
