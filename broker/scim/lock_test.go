package scim_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// The decision path reads Locked from the store: a leaver is locked from
// the moment the SCIM call returns, whichever form the IdP used.
func TestLeaverLockedWhenCallReturns(t *testing.T) {
	tests := []struct {
		name, method, body string
		typ                string
		gone               bool
	}{
		{"Okta PATCH", "PATCH", entraPatch(`{"op":"replace","value":{"active":false}}`), events.UserDeactivated, false},
		{"Entra PATCH", "PATCH", entraPatch(`{"op":"Replace","path":"active","value":"False"}`), events.UserDeactivated, false},
		{"PUT", "PUT", `{"userName":"ada@example.com","active":false}`, events.UserDeactivated, false},
		{"DELETE", "DELETE", "", events.UserDeleted, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.createUser("ada@example.com", "")
			w := e.do(tt.method, "/scim/v2/Users/"+id, tt.body)
			if w.Code >= 300 {
				t.Fatalf("%s = %d %s", tt.method, w.Code, w.Body)
			}
			err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
				u, err := tx.GetUserByName(ctx, "ada@example.com")
				switch {
				case tt.gone && err == nil:
					t.Errorf("deleted user still found: %+v", u)
				case !tt.gone && (err != nil || !u.Locked):
					t.Errorf("GetUserByName after %s = %+v, %v; want a locked user", tt.name, u, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			evs := e.events()
			if len(evs) != 1 || evs[0].Type() != tt.typ || !userChange(t, evs[0]).Locked {
				t.Errorf("events = %v, want one locked %s", types(evs), tt.typ)
			}
		})
	}
}

// A user created inactive is created locked.
func TestCreateInactive(t *testing.T) {
	e := newEnv(t)
	w := e.do("POST", "/scim/v2/Users", `{"userName":"ada@example.com","active":"False"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("POST = %d %s", w.Code, w.Body)
	}
	id := decode(t, w)["id"].(string)
	if u := e.user(id); u.Active || !u.Locked {
		t.Errorf("user created inactive = active %v locked %v, want locked", u.Active, u.Locked)
	}
	if evs := e.events(); len(evs) != 1 || !userChange(t, evs[0]).Locked {
		t.Errorf("events = %v, want a provisioned event saying locked", types(evs))
	}
}

// A reactivation lifts the lock SCIM set, not a lock an operator set for
// another reason.
func TestReactivationKeepsForeignLock(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("ada@example.com", "")
	err := e.st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.SetUserLocked(ctx, id, true, "security: investigation")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, entraPatch(`{"op":"replace","path":"active","value":false}`))
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, entraPatch(`{"op":"replace","path":"active","value":true}`))
	if u := e.user(id); !u.Active || !u.Locked || u.LockReason != "security: investigation" {
		t.Errorf("user = active %v locked %v %q, want active but still locked for the investigation", u.Active, u.Locked, u.LockReason)
	}
	evs := e.events()
	if len(evs) != 2 || evs[1].Type() != events.UserUpdated || !userChange(t, evs[1]).Locked {
		t.Errorf("events = %v, want deactivated then updated (still locked, so not reactivated)", types(evs))
	}
}

// Concurrent deactivations of one user: exactly one emits the leaver event.
func TestConcurrentDeactivations(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("ada@example.com", "")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w := e.do("PATCH", "/scim/v2/Users/"+id, entraPatch(`{"op":"replace","path":"active","value":false}`)); w.Code != http.StatusOK {
				t.Errorf("PATCH = %d %s", w.Code, w.Body)
			}
		}()
	}
	wg.Wait()
	if evs := e.events(); len(evs) != 1 || evs[0].Type() != events.UserDeactivated {
		t.Errorf("events = %v, want exactly one deactivated", types(evs))
	}
}
