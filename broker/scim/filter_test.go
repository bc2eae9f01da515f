package scim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// directory seeds users and groups for the filter tests and returns their
// ids by short name.
func directory(t testing.TB, e *env) map[string]string {
	t.Helper()
	ids := map[string]string{}
	ids["ada"] = e.createUser("Ada.King@example.com", `,"externalId":"00uADA","displayName":"Ada King",
		"emails":[{"value":"ada@work.example.com","type":"work","primary":true},{"value":"ada@home.example.com","type":"home"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701","department":"Finance"}`)
	ids["bob"] = e.createUser("bob@example.com", `,"externalId":"00uBOB","displayName":"Bob",
		"emails":[{"value":"bob@home.example.com","type":"home"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"702","department":"Finance","manager":{"value":"`+ids["ada"]+`"}}`)
	ids["cy"] = e.createUser("cy@example.com", `,"active":false,"displayName":"Cy"`)
	ids["fin"] = e.must(http.StatusCreated, "POST", "/scim/v2/Groups",
		`{"displayName":"finance","externalId":"00gFIN","members":[{"value":"`+ids["ada"]+`"},{"value":"`+ids["bob"]+`"}]}`)["id"].(string)
	ids["eng"] = e.must(http.StatusCreated, "POST", "/scim/v2/Groups", `{"displayName":"Engineering","members":[{"value":"`+ids["bob"]+`"}]}`)["id"].(string)
	e.events()
	return ids
}

func listIDs(t *testing.T, e *env, resource, filter string) []string {
	t.Helper()
	got := e.must(http.StatusOK, "GET", "/scim/v2/"+resource+"?filter="+url.QueryEscape(filter), "")
	var ids []string
	for _, r := range got["Resources"].([]any) {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	if got["totalResults"] != float64(len(ids)) {
		t.Errorf("filter %q: totalResults %v, want %d", filter, got["totalResults"], len(ids))
	}
	return ids
}

func TestFilters(t *testing.T) {
	e := newEnv(t)
	ids := directory(t, e)
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		resource, filter string
		want             []string
	}{
		{"Users", `userName eq "ada.king@example.com"`, []string{"ada"}},
		{"Users", `userName EQ "ADA.KING@EXAMPLE.COM"`, []string{"ada"}},
		{"Users", `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"`, []string{"bob"}},
		{"Users", `userName eq "nobody@example.com"`, nil},
		{"Users", `externalId eq "00uADA"`, []string{"ada"}},
		{"Users", `externalId eq "00uada"`, nil}, // externalId is case-exact
		{"Users", `displayName eq "ada king"`, []string{"ada"}},
		{"Users", `emails[type eq "work"].value eq "ADA@work.example.com"`, []string{"ada"}},
		{"Users", `emails[type eq "work"].value eq "ada@home.example.com"`, nil},
		{"Users", `emails[type eq "home" and value eq "bob@home.example.com"]`, []string{"bob"}},
		{"Users", `emails.value eq "ada@home.example.com"`, []string{"ada"}},
		{"Users", `emails eq "bob@home.example.com"`, []string{"bob"}},
		{"Users", ent + `:employeeNumber eq "702"`, []string{"bob"}},
		{"Users", ent + `:department eq "finance"`, []string{"ada", "bob"}},
		{"Users", ent + `:manager.value eq "` + ids["ada"] + `"`, []string{"bob"}},
		{"Users", `userName eq "bob@example.com" and ` + ent + `:department eq "Finance"`, []string{"bob"}},
		{"Users", `userName eq "bob@example.com" and userName eq "ada.king@example.com"`, nil},
		{"Users", `active eq false`, []string{"cy"}},
		{"Users", `id eq "` + ids["cy"] + `"`, []string{"cy"}},
		{"Users", `id eq "` + ids["cy"] + `" and active eq true`, nil},
		{"Users", `groups eq "` + ids["eng"] + `"`, []string{"bob"}},
		{"Groups", `displayName eq "FINANCE"`, []string{"fin"}},
		{"Groups", `externalId eq "00gFIN"`, []string{"fin"}},
		{"Groups", `members eq "` + ids["bob"] + `"`, []string{"fin", "eng"}},
		{"Groups", `members.value eq "` + ids["ada"] + `"`, []string{"fin"}},
		{"Groups", `members[value eq "` + ids["ada"] + `"]`, []string{"fin"}},
		{"Groups", `displayName eq "Engineering" and members eq "` + ids["ada"] + `"`, nil},
		{"Groups", `id eq "` + ids["eng"] + `" and members eq "` + ids["bob"] + `"`, []string{"eng"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			var want []string
			for _, n := range tt.want {
				want = append(want, ids[n])
			}
			if diff := cmp.Diff(want, listIDs(t, e, tt.resource, tt.filter), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("GET /%s?filter=%s (-want +got):\n%s", tt.resource, tt.filter, diff)
			}
		})
	}
}

// Filters are parsed, never pasted into SQL: hostile text either fails to
// parse (400 invalidFilter) or is a string that matches nothing.
func TestFilterInjection(t *testing.T) {
	e := newEnv(t)
	directory(t, e)
	invalid := []string{
		`userName eq "a" or userName eq "bob@example.com"`,
		`userName eq "a" or "1" eq "1"`,
		`userName eq "x" OR 1=1`,
		`userName eq 'x' or '1'='1'`,
		`userName eq "a"; DROP TABLE dir_users; --`,
		`userName eq "a" -- comment`,
		`not (userName eq "a")`,
		`userName ne "a"`,
		`userName co "a"`,
		`userName sw "a"`,
		`userName pr`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`emails[type eq "work"`,
		`emails[type eq "work"]]`,
		`((userName eq "a")`,
		`userName eq "unterminated`,
		`userName eq "bad \q escape"`,
		`userName eq "a\u0000b"`,
		"userName eq \"a\x00b\"",
		"userName eq \"a\nb\"",
		`shoeSize eq "9"`,
		`urn:evil:schema:User:userName eq "a"`,
		`userName eq true`,
		`active eq "true"`,
		`emails[type eq "work"].value eq "x" or userName eq "y"`,
		`emails[value eq "x" or value eq "y"]`,
		`emails[emails[type eq "x"]]`,
		`name eq "x"`,
		`userName eq "a" and ` + strings.Repeat(`displayName eq "b" and `, 16) + `externalId eq "c"`,
		`userName eq "` + strings.Repeat("a", 1100) + `"`,
		strings.Repeat("(", 600) + `userName eq "a"` + strings.Repeat(")", 600),
		``,
	}
	for _, f := range invalid {
		if f == "" {
			continue
		}
		w := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(f), "")
		if w.Code != http.StatusBadRequest {
			t.Errorf("filter %.80q = %d %s, want 400", f, w.Code, w.Body)
			continue
		}
		checkError(t, w, decode(t, w), http.StatusBadRequest, "invalidFilter")
	}
	noMatch := []string{
		`userName eq "x\" or \"1\" eq \"1"`,
		`userName eq "a'; DROP TABLE dir_users; --"`,
		`userName eq "' OR '1'='1"`,
		`displayName eq "%"`,
		`externalId eq "_"`,
		`emails[type eq "work"].value eq "%@%"`,
		`userName eq "*"`,
	}
	for _, f := range noMatch {
		if got := listIDs(t, e, "Users", f); len(got) != 0 {
			t.Errorf("filter %q matched %v, want nothing", f, got)
		}
	}
	// The directory is intact.
	if got := e.must(http.StatusOK, "GET", "/scim/v2/Users", ""); got["totalResults"] != 3.0 {
		t.Errorf("users after the injection attempts = %v, want 3", got["totalResults"])
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	var all []string
	for _, n := range []string{"u1", "u2", "u3", "u4", "u5"} {
		all = append(all, e.createUser(n+"@example.com", `,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"}`))
	}
	for _, filter := range []string{"", "&filter=" + url.QueryEscape(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`)} {
		tests := []struct {
			query   string
			want    []string
			start   float64
			perPage float64
		}{
			{"?startIndex=1&count=2", all[0:2], 1, 2},
			{"?startIndex=3&count=2", all[2:4], 3, 2},
			{"?startIndex=5&count=2", all[4:5], 5, 1},
			{"?startIndex=6&count=2", nil, 6, 0},
			{"?startIndex=0&count=1", all[0:1], 1, 1},
			{"?startIndex=-3", all, 1, 5},
			{"?count=0", nil, 1, 0},
			{"?count=-1", nil, 1, 0},
			{"?count=1000", all, 1, 5},
		}
		for _, tt := range tests {
			got := e.must(http.StatusOK, "GET", "/scim/v2/Users"+tt.query+filter, "")
			var ids []string
			for _, r := range got["Resources"].([]any) {
				ids = append(ids, r.(map[string]any)["id"].(string))
			}
			if !cmp.Equal(ids, tt.want, cmpopts.EquateEmpty()) || got["totalResults"] != 5.0 || got["startIndex"] != tt.start || got["itemsPerPage"] != tt.perPage {
				t.Errorf("GET /Users%s%s = ids %v total %v start %v per page %v, want %v 5 %v %v",
					tt.query, filter, ids, got["totalResults"], got["startIndex"], got["itemsPerPage"], tt.want, tt.start, tt.perPage)
			}
		}
	}
}
