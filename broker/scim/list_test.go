package scim_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

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
			{"?count=99999999999999999999", all, 1, 5},
			{"?startIndex=99999999999999999999", nil, 2147483647, 0},
			{"?startIndex=-99999999999999999999&count=2", all[0:2], 1, 2},
			{"?startindex=2&COUNT=1", all[1:2], 2, 1},
			{"?startIndex=&count=", all, 1, 5},
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

func TestPaginationInvalid(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"count=1e3", "count=1.0", "startIndex=one", "startIndex=%201", "count=0x10"} {
		w := e.do("GET", "/scim/v2/Users?"+q, "")
		if w.Code != http.StatusBadRequest {
			t.Errorf("GET /Users?%s = %d, want 400", q, w.Code)
			continue
		}
		checkError(t, w, decode(t, w), http.StatusBadRequest, "invalidValue")
	}
}

func TestSort(t *testing.T) {
	e := newEnv(t)
	ids := directory(t, e)
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		resource, query string
		want            []string
	}{
		{"Users", "sortBy=userName", []string{"ada", "bob", "cy"}},
		{"Users", "sortBy=userName&sortOrder=descending", []string{"cy", "bob", "ada"}},
		{"Users", "sortBy=USERNAME&sortOrder=Descending", []string{"cy", "bob", "ada"}},
		{"Users", "sortOrder=descending", []string{"ada", "bob", "cy"}}, // no sortBy: the default order
		{"Users", "sortBy=name.givenName", []string{"ada", "bob", "cy"}},
		{"Users", "sortBy=name.familyName", []string{"ada", "bob", "cy"}}, // cy has none: last
		{"Users", "sortBy=name.familyName&sortOrder=descending", []string{"cy", "bob", "ada"}},
		{"Users", "sortBy=title", []string{"ada", "bob", "cy"}},
		{"Users", "sortBy=externalId&sortOrder=descending", []string{"cy", "bob", "ada"}},
		{"Users", "sortBy=emails", []string{"ada", "bob", "cy"}},
		{"Users", "sortBy=emails.type&sortOrder=descending", []string{"cy", "ada", "bob"}}, // ada's primary is work
		{"Users", "sortBy=phoneNumbers.value", []string{"bob", "ada", "cy"}},
		{"Users", "sortBy=active", []string{"cy", "ada", "bob"}},
		{"Users", "sortBy=" + url.QueryEscape(ent+":employeeNumber") + "&sortOrder=descending", []string{"cy", "bob", "ada"}},
		{"Users", "sortBy=meta.created&sortOrder=descending&count=1", []string{"cy"}},
		{"Users", "sortBy=userName&sortOrder=descending&startIndex=2&count=1&filter=" + url.QueryEscape(`userName pr`), []string{"bob"}},
		{"Groups", "sortBy=displayName", []string{"eng", "fin"}},
		{"Groups", "sortBy=displayName&sortOrder=descending", []string{"fin", "eng"}},
		{"Groups", "sortBy=externalId", []string{"fin", "eng"}},
	}
	for _, tt := range tests {
		got := e.must(http.StatusOK, "GET", "/scim/v2/"+tt.resource+"?"+tt.query, "")
		var names []string
		for _, r := range got["Resources"].([]any) {
			id := r.(map[string]any)["id"].(string)
			for n, v := range ids {
				if v == id {
					names = append(names, n)
				}
			}
		}
		if !cmp.Equal(names, tt.want) {
			t.Errorf("GET /%s?%s = %v, want %v", tt.resource, tt.query, names, tt.want)
		}
	}
	for _, q := range []string{"sortBy=groups.display", "sortBy=emails.display", "sortBy=name", "sortBy=meta.location", "sortBy=emails.primary", "sortBy=" + url.QueryEscape(`emails[type eq "work"].value`), "sortBy=a.b.c"} {
		w := e.do("GET", "/scim/v2/Users?"+q, "")
		if w.Code != http.StatusBadRequest {
			t.Errorf("GET /Users?%s = %d, want 400", q, w.Code)
			continue
		}
		checkError(t, w, decode(t, w), http.StatusBadRequest, "invalidValue")
	}
	if w := e.do("GET", "/scim/v2/Groups?sortBy=members", ""); w.Code != http.StatusBadRequest {
		t.Errorf("GET /Groups?sortBy=members = %d, want 400", w.Code)
	}
}
