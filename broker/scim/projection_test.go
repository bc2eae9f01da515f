package scim_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keys returns the sorted keys of a decoded object.
func keys(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestProjection(t *testing.T) {
	e := newEnv(t)
	ids := directory(t, e)
	ada := "/scim/v2/Users/" + ids["ada"]
	get := func(query string) map[string]any {
		t.Helper()
		return e.must(http.StatusOK, "GET", ada+"?"+query, "")
	}
	q := func(k, v string) string { return k + "=" + url.QueryEscape(v) }

	// attributes: only what is named, with id and schemas.
	if got := keys(get(q("attributes", "userName"))); !cmp.Equal(got, []string{"id", "schemas", "userName"}) {
		t.Errorf("attributes=userName: keys %v", got)
	}
	got := get(q("attributes", "name.givenName,emails.value,meta.created"))
	if !cmp.Equal(keys(got), []string{"emails", "id", "meta", "name", "schemas"}) || !cmp.Equal(keys(got["name"]), []string{"givenName"}) ||
		!cmp.Equal(keys(got["meta"]), []string{"created"}) || len(got["emails"].([]any)) != 2 || !cmp.Equal(keys(path(got, "emails", 0)), []string{"value"}) {
		t.Errorf("attributes=name.givenName,emails.value,meta.created = %v", got)
	}
	// A value path in attributes selects the matching elements.
	got = get(q("attributes", `emails[type eq "work"]`))
	if list := got["emails"].([]any); len(list) != 1 || path(list, 0, "value") != "ada@work.example.com" || path(list, 0, "primary") != true {
		t.Errorf(`attributes=emails[type eq "work"] = %v`, got)
	}
	got = get(q("attributes", `emails[type eq "home"].value,userName`))
	if list, _ := got["emails"].([]any); len(list) != 1 || !cmp.Equal(keys(list[0]), []string{"value"}) || got["userName"] == nil {
		t.Errorf(`attributes=emails[type eq "home"].value,userName = %v`, got)
	}
	if got := get(q("attributes", `emails[type eq "other"]`)); got["emails"] != nil {
		t.Errorf(`attributes=emails[type eq "other"] = %v, want no emails`, got)
	}
	// The extension, whole or one attribute of it.
	got = get(q("attributes", ent))
	if !cmp.Equal(keys(got[ent]), []string{"department", "employeeNumber"}) {
		t.Errorf("attributes=<extension URN> = %v", got)
	}
	got = get(q("attributes", ent+":department"))
	if !cmp.Equal(keys(got[ent]), []string{"department"}) {
		t.Errorf("attributes=<extension>:department = %v", got)
	}
	// Unknown names select nothing; names match in any case.
	if got := keys(get(q("attributes", "shoeSize,USERNAME"))); !cmp.Equal(got, []string{"id", "schemas", "userName"}) {
		t.Errorf("attributes=shoeSize,USERNAME: keys %v", got)
	}

	// excludedAttributes: everything else; id and schemas always stay.
	got = get(q("excludedAttributes", "emails,meta,id,schemas,name.familyName,"+ent+":department"))
	if got["emails"] != nil || got["meta"] != nil || got["id"] != ids["ada"] || got["schemas"] == nil ||
		!cmp.Equal(keys(got["name"]), []string{"givenName"}) || !cmp.Equal(keys(got[ent]), []string{"employeeNumber"}) {
		t.Errorf("excludedAttributes = %v", got)
	}
	got = get(q("excludedAttributes", `emails[type eq "home"],groups`))
	if list := got["emails"].([]any); len(list) != 1 || path(list, 0, "type") != "work" || got["groups"] != nil {
		t.Errorf(`excludedAttributes=emails[type eq "home"],groups = %v`, got)
	}

	// Lists and searches, users and groups, apply the same selection.
	list := e.must(http.StatusOK, "GET", "/scim/v2/Users?"+q("attributes", "userName")+"&"+q("filter", `userName sw "bob"`), "")
	if r := path(list, "Resources", 0); !cmp.Equal(keys(r), []string{"id", "schemas", "userName"}) {
		t.Errorf("list with attributes=userName: %v", r)
	}
	list = e.must(http.StatusOK, "GET", "/scim/v2/Groups?"+q("attributes", "displayName")+"&"+q("filter", `displayName eq "finance"`), "")
	if r := path(list, "Resources", 0); !cmp.Equal(keys(r), []string{"displayName", "id", "schemas"}) {
		t.Errorf("group list with attributes=displayName: %v", r)
	}
	list = e.must(http.StatusOK, "GET", "/scim/v2/Groups?"+q("attributes", "members.value")+"&"+q("filter", `displayName eq "finance"`), "")
	if r := path(list, "Resources", 0); len(path(r, "members").([]any)) != 2 || !cmp.Equal(keys(path(r, "members", 0)), []string{"value"}) {
		t.Errorf("group list with attributes=members.value: %v", r)
	}
	// A write's response too.
	w := e.do("PATCH", "/scim/v2/Users/"+ids["bob"]+"?"+q("attributes", "active"), patchOp(`{"op":"replace","path":"title","value":"x"}`))
	if got := decode(t, w); w.Code != http.StatusOK || !cmp.Equal(keys(got), []string{"active", "id", "schemas"}) {
		t.Errorf("PATCH with attributes=active = %d %v", w.Code, got)
	}
}

func patchOp(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
}
