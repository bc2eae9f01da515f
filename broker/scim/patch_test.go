package scim_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// patchSeed is the user every PATCH case starts from.
const patchSeed = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","displayName":"Ada",
  "name":{"givenName":"Ada","familyName":"King"},
  "emails":[{"value":"ada@work.example.com","type":"work","primary":true},{"value":"ada@home.example.com","type":"home"}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Finance"}}`

// TestPatchForms runs the PATCH forms real IdPs send against a fresh user
// and compares the stored resource.
func TestPatchForms(t *testing.T) {
	var seed map[string]any
	json.Unmarshal([]byte(patchSeed), &seed)
	delete(seed, "schemas")
	seed["active"] = true
	with := func(edit func(m map[string]any)) map[string]any {
		b, _ := json.Marshal(seed)
		var m map[string]any
		json.Unmarshal(b, &m)
		edit(m)
		return m
	}
	work := map[string]any{"value": "ada@work.example.com", "type": "work", "primary": true}
	home := map[string]any{"value": "ada@home.example.com", "type": "home"}
	tests := []struct {
		name string
		ops  string
		want map[string]any
	}{
		{"op in upper case", `{"op":"REPLACE","path":"displayName","value":"A"}`,
			with(func(m map[string]any) { m["displayName"] = "A" })},
		{"op in title case", `{"op":"Add","path":"nickName","value":"Babs"}`,
			with(func(m map[string]any) { m["nickName"] = "Babs" })},
		{"attribute name in another case", `{"op":"replace","path":"DISPLAYNAME","value":"A"}`,
			with(func(m map[string]any) { m["displayName"] = "A" })},
		{"active as \"False\"", `{"op":"replace","path":"active","value":"False"}`,
			with(func(m map[string]any) { m["active"] = false })},
		{"active as \"FALSE\" in a path-less value", `{"op":"replace","value":{"active":"FALSE"}}`,
			with(func(m map[string]any) { m["active"] = false })},
		{"Okta path-less replace", `{"op":"replace","value":{"active":false}}`,
			with(func(m map[string]any) { m["active"] = false })},
		{"path-less replace ignores id, schemas and meta", `{"op":"replace","value":{"id":"evil","schemas":[],"meta":{},"displayName":"A"}}`,
			with(func(m map[string]any) { m["displayName"] = "A" })},
		{"path-less replace with dotted and URN keys", `{"op":"replace","value":{"name.givenName":"Augusta","` + ent + `:employeeNumber":"7"}}`,
			with(func(m map[string]any) {
				m["name"].(map[string]any)["givenName"] = "Augusta"
				m[ent].(map[string]any)["employeeNumber"] = "7"
			})},
		{"path-less add with an extension object", `{"op":"add","value":{"` + ent + `":{"costCenter":"CC1"}}}`,
			with(func(m map[string]any) { m[ent].(map[string]any)["costCenter"] = "CC1" })},
		{"path-less replace ignores unknown and read-only keys", `{"op":"replace","value":{"shoeSize":"9","groups":[],"displayName":"A"}}`,
			with(func(m map[string]any) { m["displayName"] = "A" })},
		{"path is an extension URN", `{"op":"replace","path":"` + ent + `","value":{"division":"EMEA"}}`,
			with(func(m map[string]any) { m[ent].(map[string]any)["division"] = "EMEA" })},
		{"remove an extension", `{"op":"remove","path":"` + ent + `"}`,
			with(func(m map[string]any) { delete(m, ent) })},
		{"filtered path replace", `{"op":"replace","path":"emails[type eq \"work\"].value","value":"ada@new.example.com"}`,
			with(func(m map[string]any) { m["emails"].([]any)[0].(map[string]any)["value"] = "ada@new.example.com" })},
		{"filtered path on a missing value creates it", `{"op":"replace","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0100"}`,
			with(func(m map[string]any) {
				m["phoneNumbers"] = []any{map[string]any{"type": "work", "value": "+1 555 0100"}}
			})},
		{"filtered remove", `{"op":"remove","path":"emails[type eq \"home\"]"}`,
			with(func(m map[string]any) { m["emails"] = []any{work} })},
		{"filtered remove of a sub-attribute", `{"op":"remove","path":"emails[type eq \"work\"].primary"}`,
			with(func(m map[string]any) { delete(m["emails"].([]any)[0].(map[string]any), "primary") })},
		{"add to a multi-valued attribute appends", `{"op":"add","path":"emails","value":[{"value":"ada@other.example.com","type":"other"}]}`,
			with(func(m map[string]any) {
				m["emails"] = append(m["emails"].([]any), map[string]any{"value": "ada@other.example.com", "type": "other"})
			})},
		{"add of a value already there changes nothing", `{"op":"add","path":"emails","value":[{"value":"ADA@home.example.com","type":"home"}]}`,
			seed},
		{"a new primary clears the old", `{"op":"add","path":"emails","value":[{"value":"ada@other.example.com","primary":true}]}`,
			with(func(m map[string]any) {
				m["emails"] = []any{map[string]any{"value": "ada@work.example.com", "type": "work"}, home, map[string]any{"value": "ada@other.example.com", "primary": true}}
			})},
		{"replace a multi-valued attribute", `{"op":"replace","path":"emails","value":[{"value":"a@x.example.com"}]}`,
			with(func(m map[string]any) { m["emails"] = []any{map[string]any{"value": "a@x.example.com"}} })},
		{"add on a single-valued attribute replaces it", `{"op":"add","path":"displayName","value":"A"}`,
			with(func(m map[string]any) { m["displayName"] = "A" })},
		{"replace a complex attribute merges", `{"op":"replace","path":"name","value":{"middleName":"B"}}`,
			with(func(m map[string]any) { m["name"].(map[string]any)["middleName"] = "B" })},
		{"sub-attribute path", `{"op":"replace","path":"name.familyName","value":"Lovelace"}`,
			with(func(m map[string]any) { m["name"].(map[string]any)["familyName"] = "Lovelace" })},
		{"manager as a string", `{"op":"replace","path":"` + ent + `:manager","value":"m-1"}`,
			with(func(m map[string]any) { m[ent].(map[string]any)["manager"] = map[string]any{"value": "m-1"} })},
		{"manager as an array", `{"op":"Add","path":"` + ent + `:manager","value":[{"value":"m-2","displayName":"ignored"}]}`,
			with(func(m map[string]any) { m[ent].(map[string]any)["manager"] = map[string]any{"value": "m-2"} })},
		{"manager as an object, then cleared with an empty value", `{"op":"replace","path":"` + ent + `:manager","value":{"value":"m-3"}},
		  {"op":"replace","path":"` + ent + `:manager","value":""}`,
			seed},
		{"manager sub-attribute path", `{"op":"replace","path":"` + ent + `:manager.value","value":"m-4"}`,
			with(func(m map[string]any) { m[ent].(map[string]any)["manager"] = map[string]any{"value": "m-4"} })},
		{"replace with null removes", `{"op":"replace","path":"displayName","value":null}`,
			with(func(m map[string]any) { delete(m, "displayName") })},
		{"remove a simple attribute", `{"op":"Remove","path":"displayName"}`,
			with(func(m map[string]any) { delete(m, "displayName") })},
		{"remove a sub-attribute", `{"op":"remove","path":"name.givenName"}`,
			with(func(m map[string]any) { delete(m["name"].(map[string]any), "givenName") })},
		{"remove active keeps it", `{"op":"remove","path":"active"}`, seed},
		{"operations apply in order", `{"op":"replace","path":"displayName","value":"A"},{"op":"replace","path":"displayName","value":"B"}`,
			with(func(m map[string]any) { m["displayName"] = "B" })},
		{"password operations are dropped", `{"op":"replace","path":"password","value":"hunter2-hunter2"},{"op":"replace","value":{"password":"hunter2-hunter2","displayName":"A"}}`,
			with(func(m map[string]any) { m["displayName"] = "A" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.must(http.StatusCreated, "POST", "/scim/v2/Users", patchSeed)["id"].(string)
			got := e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, entraPatch(tt.ops))
			for _, k := range []string{"id", "meta", "schemas"} {
				delete(got, k)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PATCH %s: response (-want +got):\n%s", tt.ops, diff)
			}
			var stored map[string]any
			json.Unmarshal(e.user(id).Attributes, &stored)
			if diff := cmp.Diff(tt.want, stored); diff != "" {
				t.Errorf("PATCH %s: stored attributes (-want +got):\n%s", tt.ops, diff)
			}
		})
	}
}

// Nulls in a created resource mean "no value" and are not stored.
func TestNullsOnCreate(t *testing.T) {
	e := newEnv(t)
	got := e.must(http.StatusCreated, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
	  "userName":"ada@example.com","displayName":null,"nickName":"","name":{"givenName":"Ada","middleName":null},
	  "emails":null,"phoneNumbers":[],"addresses":[null],"title":null,"active":null,
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":null,"department":null}}`)
	for _, k := range []string{"id", "meta", "schemas"} {
		delete(got, k)
	}
	want := map[string]any{"userName": "ada@example.com", "name": map[string]any{"givenName": "Ada"}, "active": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created user (-want +got):\n%s", diff)
	}
}
