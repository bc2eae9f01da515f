package scim_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// POST .search (RFC 7644 3.4.3) takes the query in the body, where
// attributes are lists and startIndex and count numbers.
func TestSearch(t *testing.T) {
	e := newEnv(t)
	ids := directory(t, e)
	names := func(list map[string]any) []string {
		var out []string
		for _, r := range list["Resources"].([]any) {
			for n, id := range ids {
				if r.(map[string]any)["id"] == id {
					out = append(out, n)
				}
			}
		}
		return out
	}
	tests := []struct {
		path, body string
		want       []string
		total      float64
	}{
		{"/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
			"filter":"userName sw \"b\" or userName sw \"c\"","sortBy":"userName","sortOrder":"descending","startIndex":1,"count":10}`,
			[]string{"cy", "bob"}, 2},
		{"/scim/v2/Users/.search/", `{"filter":"emails[type eq \"work\" and value co \"@work\"]"}`, []string{"ada"}, 1},
		{"/Users/.search", `{"count":1,"startIndex":2}`, []string{"bob"}, 3},
		{"/scim/v2/Groups/.search", `{"filter":"members[value eq \"` + ids["ada"] + `\"]","attributes":["displayName"]}`, []string{"fin"}, 1},
		// At the root: users, then groups, paged as one list.
		{"/scim/v2/.search", `{"filter":"displayName sw \"e\" or displayName sw \"c\""}`, []string{"cy", "eng"}, 2},
		{"/scim/v2/.search", `{"startIndex":3,"count":2}`, []string{"cy", "fin"}, 5},
		{"/.search", `{"startIndex":5}`, []string{"eng"}, 5},
		// An attribute only users have: groups match nothing.
		{"/scim/v2/.search", `{"filter":"userName eq \"bob@example.com\""}`, []string{"bob"}, 1},
		{"/scim/v2/.search", `{"filter":"members pr","count":0}`, nil, 2},
	}
	for _, tt := range tests {
		got := e.must(http.StatusOK, "POST", tt.path, tt.body)
		if n := names(got); !cmp.Equal(n, tt.want, cmpopts.EquateEmpty()) || got["totalResults"] != tt.total {
			t.Errorf("POST %s %s = %v (total %v), want %v (total %v)", tt.path, tt.body, n, got["totalResults"], tt.want, tt.total)
		}
	}
	got := e.must(http.StatusOK, "POST", "/scim/v2/Users/.search", `{"filter":"userName eq \"bob@example.com\"","attributes":["userName","name.givenName"],"excludedAttributes":"name"}`)
	if r := path(got, "Resources", 0); !cmp.Equal(keys(r), []string{"id", "schemas", "userName"}) {
		t.Errorf("search with attributes and excludedAttributes: %v", r)
	}
	for _, body := range []string{`{"filter":"shoeSize eq 9"}`, `{"filter":1}`, `{"attributes":[1]}`, `[]`, `{"startIndex":"x"}`} {
		if w := e.do("POST", "/scim/v2/.search", body); w.Code != http.StatusBadRequest {
			t.Errorf("POST /.search %s = %d, want 400", body, w.Code)
		}
	}
}
