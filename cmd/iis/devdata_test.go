package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/dataproc-iis/iis/broker/scim"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// The users `make run` seeds have names, and the SCIM endpoint serves and
// filters them: an IdP's own SCIM test pointed at a fresh dev stack reads
// name.givenName and name.familyName of the demo users.
func TestDevDirectoryNames(t *testing.T) {
	ctx := context.Background()
	path, err := devFile(t.TempDir(), "directory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.SQLite(t)
	n, err := seedDirectory(ctx, st, path)
	if err != nil || n == 0 {
		t.Fatalf("seedDirectory = %d, %v", n, err)
	}
	const token = "dev-names-scim-token-0123456789"
	srv, err := scim.New(scim.Config{Store: st, Tokens: []string{token}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(query string) []map[string]any {
		t.Helper()
		r := httptest.NewRequest("GET", "http://127.0.0.1/scim/v2/Users?"+query, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		var list struct {
			Resources []map[string]any `json:"Resources"`
		}
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &list) != nil {
			t.Fatalf("GET /Users?%s = %d %s", query, w.Code, w.Body)
		}
		return list.Resources
	}
	users := get("count=200")
	if len(users) != n {
		t.Fatalf("GET /Users = %d users, want the %d seeded", len(users), n)
	}
	for _, u := range users {
		name, _ := u["name"].(map[string]any)
		for _, sub := range []string{"givenName", "familyName", "formatted"} {
			if s, _ := name[sub].(string); s == "" {
				t.Errorf("seeded user %s has no name.%s: %v", u["userName"], sub, u["name"])
			}
		}
	}
	got := get("filter=" + url.QueryEscape(`name.givenName eq "alice" and name.familyName pr`))
	if len(got) != 1 || got[0]["userName"] != "alice@example.com" {
		t.Errorf(`filter name.givenName eq "alice" = %v, want alice`, got)
	}
}
