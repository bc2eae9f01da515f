package scim_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkError checks a SCIM error body (RFC 7644 3.12): the Error schema,
// the status as a string, and the scimType when one is expected.
func checkError(t *testing.T, w interface {
	Result() *http.Response
}, body map[string]any, status int, scimType string) {
	t.Helper()
	if !cmp.Equal(body["schemas"], []any{"urn:ietf:params:scim:api:messages:2.0:Error"}) {
		t.Errorf("error schemas = %v, want the Error message schema", body["schemas"])
	}
	if body["status"] != strconv.Itoa(status) {
		t.Errorf("error status = %#v, want %q as a string", body["status"], strconv.Itoa(status))
	}
	if got, _ := body["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q, want %q", got, scimType)
	}
	if d, _ := body["detail"].(string); d == "" {
		t.Errorf("error has no detail: %v", body)
	}
	if ct := w.Result().Header.Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("error Content-Type = %q, want application/scim+json", ct)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("ada@example.com", `,"active":true`)
	e.createUser("bob@example.com", "")
	gid := e.must(http.StatusCreated, "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng"}`)["id"].(string)
	e.events()
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}
	const user = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cy@example.com"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		scimType                 string
	}{
		{"unknown user", "GET", "/scim/v2/Users/no-such-user", "", 404, ""},
		{"unknown user PATCH", "PATCH", "/scim/v2/Users/no-such-user", patch(`{"op":"replace","path":"active","value":false}`), 404, ""},
		{"unknown user PUT", "PUT", "/scim/v2/Users/no-such-user", user, 404, ""},
		{"unknown user DELETE", "DELETE", "/scim/v2/Users/no-such-user", "", 404, ""},
		{"unknown group", "GET", "/scim/v2/Groups/no-such-group", "", 404, ""},
		{"unknown endpoint", "GET", "/scim/v2/Widgets", "", 404, ""},
		{"nested path", "GET", "/scim/v2/Users/" + id + "/extra", "", 404, ""},
		{"method not allowed", "DELETE", "/scim/v2/Users", "", 405, ""},
		{"duplicate userName", "POST", "/scim/v2/Users", strings.Replace(user, "cy@", "ADA@", 1), 409, "uniqueness"},
		{"rename onto a taken userName", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"userName","value":"Bob@Example.com"}`), 409, "uniqueness"},
		{"duplicate group", "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"ENG"}`, 409, "uniqueness"},
		{"not JSON", "POST", "/scim/v2/Users", `{"userName":`, 400, "invalidSyntax"},
		{"JSON array", "POST", "/scim/v2/Users", `[]`, 400, "invalidSyntax"},
		{"trailing data", "POST", "/scim/v2/Users", user + `{}`, 400, "invalidSyntax"},
		{"no userName", "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"x"}`, 400, "invalidValue"},
		{"userName not a string", "POST", "/scim/v2/Users", `{"userName":42}`, 400, "invalidValue"},
		{"userName too long", "POST", "/scim/v2/Users", `{"userName":"` + strings.Repeat("a", 257) + `"}`, 400, "invalidValue"},
		{"userName with a control character", "POST", "/scim/v2/Users", `{"userName":"a\u0007b"}`, 400, "invalidValue"},
		{"duplicate attribute", "POST", "/scim/v2/Users", `{"userName":"a@example.com","USERNAME":"b@example.com"}`, 400, "invalidSyntax"},
		{"active not a boolean", "POST", "/scim/v2/Users", `{"userName":"d@example.com","active":"yes"}`, 400, "invalidValue"},
		{"PATCH without schemas", "PATCH", "/scim/v2/Users/" + id, `{"Operations":[{"op":"replace","path":"active","value":false}]}`, 400, "invalidSyntax"},
		{"PATCH without operations", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, 400, "invalidValue"},
		{"PATCH op move", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"move","path":"active","value":false}`), 400, "invalidSyntax"},
		{"PATCH remove without path", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"remove"}`), 400, "noTarget"},
		{"PATCH path-less with a string", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","value":"x"}`), 400, "invalidValue"},
		{"PATCH unknown path", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"shoeSize","value":"9"}`), 400, "invalidPath"},
		{"PATCH malformed path", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"emails[type eq","value":"x"}`), 400, "invalidPath"},
		{"PATCH path not a string", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":7,"value":"x"}`), 400, "invalidPath"},
		{"PATCH read-only groups", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"add","path":"groups","value":[{"value":"` + gid + `"}]}`), 400, "mutability"},
		{"PATCH remove userName", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"remove","path":"userName"}`), 400, "mutability"},
		{"PATCH active yes", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"active","value":"yes"}`), 400, "invalidValue"},
		{"PATCH active 1", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","value":{"active":"1"}}`), 400, "invalidValue"},
		{"PATCH active empty", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"Replace","path":"active","value":""}`), 400, "invalidValue"},
		{"PATCH filter with or that matches nothing", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"emails[type eq \"work\" or type eq \"home\"].value","value":"x@example.com"}`), 400, "noTarget"},
		{"PATCH filter with an unknown operator", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"emails[type xx \"work\"].value","value":"x@example.com"}`), 400, "invalidPath"},
		{"NUL in a value", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"title","value":"a\u0000b"}`), 400, "invalidValue"},
		{"PATCH filter on a single-valued attribute", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"name[givenName eq \"x\"]","value":"x"}`), 400, "invalidPath"},
		{"member not a user", "PATCH", "/scim/v2/Groups/" + gid, patch(`{"op":"add","path":"members","value":[{"value":"no-such-user"}]}`), 400, "invalidValue"},
		{"nested group", "POST", "/scim/v2/Groups", `{"displayName":"x","members":[{"value":"` + gid + `","type":"Group"}]}`, 400, "invalidValue"},
		{"group without displayName", "POST", "/scim/v2/Groups", `{"members":[]}`, 400, "invalidValue"},
		{"bad count", "GET", "/scim/v2/Users?count=ten", "", 400, "invalidValue"},
		{"bad filter", "GET", "/scim/v2/Users?filter=userName%20xx%20%22a%22", "", 400, "invalidFilter"},
		{"unknown filter attribute", "GET", "/scim/v2/Groups?filter=userName%20eq%20%22a%22", "", 400, "invalidFilter"},
		{"bad sortBy", "GET", "/scim/v2/Users?sortBy=shoeSize", "", 400, "invalidValue"},
		{"bad sortOrder", "GET", "/scim/v2/Users?sortBy=userName&sortOrder=up", "", 400, "invalidValue"},
		{"bad startIndex", "GET", "/scim/v2/Users?startIndex=1.5", "", 400, "invalidValue"},
		{"bad value path in attributes", "GET", "/scim/v2/Users?attributes=emails[type%20eq]", "", 400, "invalidFilter"},
		{"bad value path in attributes of a write", "PATCH", "/scim/v2/Users/" + id + "?attributes=emails[", patch(`{"op":"replace","path":"active","value":false}`), 400, "invalidFilter"},
		{"search with a wrong schema", "POST", "/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, 400, "invalidSyntax"},
		{"search with a bad count", "POST", "/scim/v2/Users/.search", `{"count":"ten"}`, 400, "invalidValue"},
		{"search at the root with sortBy", "POST", "/scim/v2/.search", `{"sortBy":"userName"}`, 400, "invalidValue"},
		{"GET .search", "GET", "/scim/v2/Users/.search", "", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(tt.method, tt.path, tt.body)
			if w.Code != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, w.Code, w.Body, tt.status)
			}
			checkError(t, w, decode(t, w), tt.status, tt.scimType)
		})
	}
	// Nothing above changed the directory or emitted anything.
	if u := e.user(id); !u.Active || u.UserName != "ada@example.com" || u.Version != 1 {
		t.Errorf("user after failed writes = %+v, want it untouched", u)
	}
	if evs := e.events(); len(evs) != 0 {
		t.Errorf("failed requests emitted %v", types(evs))
	}
}
