package scim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// checkFuzzResponse fails unless the response is a success or a SCIM 400
// (409 is allowed for writes that collide with another resource).
func checkFuzzResponse(t *testing.T, w interface{ Result() *http.Response }, body []byte, ok ...int) {
	t.Helper()
	code := w.Result().StatusCode
	for _, c := range ok {
		if code == c {
			return
		}
	}
	if code != http.StatusBadRequest && code != http.StatusConflict {
		t.Fatalf("status %d %s, want success or a SCIM 400", code, body)
	}
	var e struct {
		Schemas []string `json:"schemas"`
		Status  string   `json:"status"`
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Schemas) != 1 || e.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || e.Status == "" {
		t.Fatalf("error body %s is not a SCIM error", body)
	}
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "a"`, `userName eq "a" and externalId eq "b"`, `emails[type eq "work"].value eq "x"`,
		`emails[type eq "work" and value eq "x"]`, `members eq "x"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
		`userName eq "x\" or \"1\" eq \"1"`, `a[b[c]]`, `emails[type eq "w"].value eq`, `x].y eq "z"`, `[]].`, `userName eq "\u00e9"`,
		`not(a pr) or b gt 1.5e3`, `userName eq "a" and (b eq "c")`, `emails[type eq "work"].value pr`,
	} {
		f.Add(s)
	}
	e := newEnv(f)
	directory(f, e)
	f.Fuzz(func(t *testing.T, filter string) {
		e := e.with(t)
		for _, resource := range []string{"Users", "Groups"} {
			w := e.do("GET", "/scim/v2/"+resource+"?filter="+url.QueryEscape(filter), "")
			checkFuzzResponse(t, w, w.Body.Bytes(), http.StatusOK)
			if w.Code == http.StatusOK {
				var list struct {
					Resources []map[string]any `json:"Resources"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || list.Resources == nil {
					t.Fatalf("filter %q: 200 with body %s, want a ListResponse", filter, w.Body)
				}
			}
		}
	})
}

func FuzzPatch(f *testing.F) {
	for _, s := range [][3]string{
		{"replace", "", `{"active":false}`},
		{"Replace", "active", `"False"`},
		{"add", "emails[type eq \"work\"].value", `"a@example.com"`},
		{"remove", "members", `[{"value":"x","$ref":null}]`},
		{"Add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", `[{"value":"m"}]`},
		{"replace", "", `{"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"y","id":"z"}`},
		{"remove", "emails[type eq \"home\"]", ``},
		{"replace", "name", `{"givenName":null}`},
		{"add", "members[value eq \"x\"].display", `1`},
		{"replace", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", `{"manager":"q"}`},
		{"remove", "x[y eq \"z\"]]", `null`},
	} {
		f.Add(s[0], s[1], s[2])
	}
	e := newEnv(f)
	ids := directory(f, e)
	f.Fuzz(func(t *testing.T, op, path, value string) {
		e := e.with(t)
		o := map[string]any{"op": op}
		if path != "" {
			o["path"] = path
		}
		if json.Valid([]byte(value)) {
			o["value"] = json.RawMessage(value)
		} else if value != "" {
			o["value"] = value
		}
		body, err := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{o}})
		if err != nil {
			t.Skip()
		}
		for _, target := range []string{"/scim/v2/Users/" + ids["bob"], "/scim/v2/Groups/" + ids["eng"]} {
			w := e.do("PATCH", target, string(body))
			checkFuzzResponse(t, w, w.Body.Bytes(), http.StatusOK, http.StatusNoContent)
		}
		// Whatever was applied, the user is still readable and valid.
		w := e.do("GET", "/scim/v2/Users/"+ids["bob"], "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET after PATCH %s = %d %s", body, w.Code, w.Body)
		}
	})
}
