package scim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/scim"
)

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, func(c *scim.Config) { c.MaxBodyBytes = 1024 })
	big := `{"userName":"ada@example.com","displayName":"` + strings.Repeat("x", 2000) + `"}`
	for _, method := range []string{"POST", "PUT", "PATCH"} {
		target := "/scim/v2/Users"
		if method != "POST" {
			target += "/some-id"
		}
		w := e.do(method, target, big)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with a 2 KB body = %d, want 413", method, w.Code)
			continue
		}
		checkError(t, w, decode(t, w), http.StatusRequestEntityTooLarge, "")
	}
	// A body without Content-Length (chunked) is cut off while reading.
	r := httptest.NewRequest("POST", "https://"+host+"/scim/v2/Users", io.MultiReader(strings.NewReader(big)))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+oktaToken)
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked POST with a 2 KB body = %d, want 413", w.Code)
	}
	if w := e.do("POST", "/scim/v2/Users", `{"userName":"ada@example.com"}`); w.Code != http.StatusCreated {
		t.Errorf("POST with a small body = %d, want 201", w.Code)
	}
}

func TestRateLimit(t *testing.T) {
	// The test clock stands still, so the bucket never refills.
	e := newEnv(t, func(c *scim.Config) { c.RateLimit, c.RateBurst = 2, 3 })
	for i := range 3 {
		if w := e.do("GET", "/scim/v2/Users", ""); w.Code != http.StatusOK {
			t.Fatalf("request %d = %d, want 200", i+1, w.Code)
		}
	}
	w := e.do("GET", "/scim/v2/Users", "")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("request 4 = %d, want 429", w.Code)
	}
	checkError(t, w, decode(t, w), http.StatusTooManyRequests, "")
	if got := w.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want \"1\"", got)
	}
	// Each client has its own bucket.
	if w := e.doAs(entraToken, "GET", "/scim/v2/Users", ""); w.Code != http.StatusOK {
		t.Errorf("another client's request = %d, want 200", w.Code)
	}
	// Unauthenticated requests do not spend a client's budget: they are
	// refused before the limiter.
	if w := e.doAs("", "GET", "/scim/v2/Users", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("unauthenticated request = %d, want 401", w.Code)
	}
}
