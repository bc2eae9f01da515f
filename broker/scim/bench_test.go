package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkDeactivate measures a leaver's PATCH active=false through the
// handler on SQLite: authentication, the transaction that reads the user,
// writes it, locks the principal and enqueues the deactivated event, and
// the response. The reactivation that re-arms each iteration is not timed.
func BenchmarkDeactivate(b *testing.B) {
	e := newEnv(b)
	id := e.createUser("ada@example.com", `,"name":{"givenName":"Ada","familyName":"King"},
	  "emails":[{"value":"ada@example.com","type":"work","primary":true}],
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701","department":"Finance"}`)
	e.must(http.StatusCreated, "POST", "/scim/v2/Groups", `{"displayName":"finance","members":[{"value":"`+id+`"}]}`)
	off := entraPatch(`{"op":"Replace","path":"active","value":"False"}`)
	on := entraPatch(`{"op":"Replace","path":"active","value":"True"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if w := e.do("PATCH", "/scim/v2/Users/"+id, on); w.Code != http.StatusOK {
			b.Fatalf("reactivate = %d %s", w.Code, w.Body)
		}
		b.StartTimer()
		if w := e.do("PATCH", "/scim/v2/Users/"+id, off); w.Code != http.StatusOK {
			b.Fatalf("deactivate = %d %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	if !e.user(id).Locked {
		b.Fatal("the user is not locked after the last deactivation")
	}
}

// BenchmarkListFilter measures GET /Users with a filter through the
// handler, on SQLite with 1,000 users: parsing and compiling the filter,
// the store's COUNT and page queries, and rendering the page. "compound"
// combines or, a value path, a JSON attribute (name.familyName), a column
// and a sort; it matches a quarter of the users and serves a page of 100.
func BenchmarkListFilter(b *testing.B) {
	e := newEnv(b)
	families := []string{"Smith", "Jones", "Taylor", "Brown"}
	for i := range 1000 {
		e.createUser(fmt.Sprintf("user%04d@example.com", i), fmt.Sprintf(`,"active":%t,"title":"%s",
		  "name":{"givenName":"User%d","familyName":"%s"},
		  "emails":[{"value":"user%04d@example.com","type":"work","primary":true},{"value":"u%d@home.example","type":"home"}],
		  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%d","department":"Dept %d"}`,
			i%10 != 0, []string{"Engineer", "Analyst"}[i%2], i, families[i%4], i, i, i, i%7))
	}
	for _, bench := range []struct{ name, query string }{
		{"userName", "filter=" + url.QueryEscape(`userName eq "user0500@example.com"`)},
		{"compound", "filter=" + url.QueryEscape(`(name.familyName sw "s" or title co "engineer") and emails[type eq "work" and value ew "@example.com"] and active eq true and not (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Dept 3")`) +
			"&sortBy=userName&sortOrder=descending&count=100"},
		{"compound-count0", "filter=" + url.QueryEscape(`(name.familyName sw "s" or title co "engineer") and emails[type eq "work" and value ew "@example.com"] and active eq true and not (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Dept 3")`) +
			"&count=0"},
	} {
		b.Run(bench.name, func(b *testing.B) {
			w := e.do("GET", "/scim/v2/Users?"+bench.query, "")
			var list struct {
				TotalResults int `json:"totalResults"`
			}
			if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &list) != nil || list.TotalResults == 0 {
				b.Fatalf("GET /Users?%s = %d %.300s", bench.query, w.Code, w.Body)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if w := e.do("GET", "/scim/v2/Users?"+bench.query, ""); w.Code != http.StatusOK {
					b.Fatalf("GET = %d", w.Code)
				}
			}
			b.ReportMetric(float64(list.TotalResults), "matches")
		})
	}
}
