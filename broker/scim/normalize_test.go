package scim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestUserNameTrimmedOnWrite: a userName with surrounding white space is
// stored, returned and found trimmed, so that lookups by name (the
// directory's e-mail link, filters) find the user an IdP sent.
func TestUserNameTrimmedOnWrite(t *testing.T) {
	e := newEnv(t)
	w := e.do("POST", "/scim/v2/Users", `{"userName":" frank@example.com  ","active":true}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("POST = %d %s", w.Code, w.Body)
	}
	var u struct {
		ID       string `json:"id"`
		UserName string `json:"userName"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil || u.UserName != "frank@example.com" {
		t.Errorf("created userName = %q (%v), want it trimmed", u.UserName, err)
	}
	w = e.do("GET", `/scim/v2/Users?filter=userName%20eq%20%22frank@example.com%22`, "")
	if !strings.Contains(w.Body.String(), u.ID) {
		t.Errorf("filter by the trimmed name = %s, want user %s", w.Body, u.ID)
	}
	w = e.do("PATCH", "/scim/v2/Users/"+u.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"frank.b@example.com "}]}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"userName":"frank.b@example.com"`) {
		t.Errorf("PATCH userName = %d %s, want it trimmed", w.Code, w.Body)
	}
}
