package scim_test

import (
	"net/http"
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
