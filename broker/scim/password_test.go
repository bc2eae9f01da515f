package scim_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/scim"
)

// Okta sends the user's plaintext password on create and replace (and may
// patch it): it must never be stored, logged or returned.
func TestPasswordNeverKept(t *testing.T) {
	const secret = "Pl41ntext-P4ssw0rd-Zq9"
	e := newEnv(t, func(c *scim.Config) { c.Log = c.Log.Level(zerolog.DebugLevel) })
	var bodies []string
	do := func(status int, method, path, body string) map[string]any {
		t.Helper()
		w := e.do(method, path, body)
		if w.Code != status {
			t.Fatalf("%s %s = %d %s, want %d", method, path, w.Code, w.Body, status)
		}
		bodies = append(bodies, w.Body.String())
		return decode(t, w)
	}
	id := do(http.StatusCreated, "POST", "/scim/v2/Users", strings.Replace(oktaCreateUser, "1mz050nq", secret, 1))["id"].(string)
	do(http.StatusOK, "PUT", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
	  "password":"`+secret+`","PASSWORD":"`+secret+`x","urn:ietf:params:scim:schemas:core:2.0:User:password":"`+secret+`",
	  "name":{"givenName":"Test","password":"`+secret+`"},"active":true}`)
	do(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, entraPatch(`{"op":"replace","path":"password","value":"`+secret+`"},
	  {"op":"replace","value":{"password":"`+secret+`","displayName":"T"}},
	  {"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User:password","value":"`+secret+`"}`))
	do(http.StatusOK, "GET", "/scim/v2/Users/"+id, "")
	do(http.StatusOK, "GET", "/scim/v2/Users?filter=userName%20eq%20%22test.user%40okta.local%22", "")
	// Errors do not echo it either.
	do(http.StatusConflict, "POST", "/scim/v2/Users", `{"userName":"test.user@okta.local","password":"`+secret+`"}`)
	do(http.StatusBadRequest, "POST", "/scim/v2/Users", `{"userName":"x@example.com","password":"`+secret+`","active":"maybe"}`)
	do(http.StatusBadRequest, "PATCH", "/scim/v2/Users/"+id, entraPatch(`{"op":"replace","path":"password[","value":"`+secret+`"}`))

	for i, b := range bodies {
		if strings.Contains(strings.ToLower(b), "password") || strings.Contains(b, secret) {
			t.Errorf("response %d returns the password: %s", i, b)
		}
	}
	if log := e.log.String(); strings.Contains(log, secret) || log == "" {
		t.Errorf("log holds the password (or nothing at all):\n%s", log)
	}
	if attrs := string(e.user(id).Attributes); strings.Contains(strings.ToLower(attrs), "password") {
		t.Errorf("stored attributes hold a password: %s", attrs)
	}
	msgs, err := e.st.ClaimOutbox(context.Background(), "scan", 1000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if bytes.Contains(m.Data, []byte(secret)) {
			t.Errorf("outbox message %s holds the password", m.EventID)
		}
	}
	// And no row anywhere in the database file (or its WAL) holds it.
	files, _ := filepath.Glob(e.dbPath + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("database file %s holds the password", filepath.Base(f))
		}
	}
	if len(files) == 0 {
		t.Error("no database file to scan")
	}
}
