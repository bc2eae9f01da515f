package scim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dataproc-iis/iis/broker/scim"
	"github.com/dataproc-iis/iis/events"
)

// The requests below follow Okta's "SCIM 2.0 protocol reference" and the
// checks of its "Test your SCIM API" suite.

const oktaCreateUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "test.user@okta.local",
  "name": {"givenName": "Test", "familyName": "User"},
  "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
  "displayName": "Test User",
  "locale": "en-US",
  "externalId": "00ujl29u0le5T6Aj10h7",
  "groups": [],
  "password": "1mz050nq",
  "active": true
}`

func TestOktaUserLifecycle(t *testing.T) {
	e := newEnv(t)
	actor := scim.Fingerprint(oktaToken)

	// Okta first looks the user up by userName, then creates it.
	got := e.must(http.StatusOK, "GET", `/scim/v2/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100`, "")
	if diff := cmp.Diff(map[string]any{
		"schemas":      []any{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": 0.0, "startIndex": 1.0, "itemsPerPage": 0.0, "Resources": []any{},
	}, got); diff != "" {
		t.Errorf("lookup before create (-want +got):\n%s", diff)
	}

	w := e.do("POST", "/scim/v2/Users", oktaCreateUser)
	if w.Code != http.StatusCreated {
		t.Fatalf("POST /Users = %d %s, want 201", w.Code, w.Body)
	}
	created := decode(t, w)
	id, _ := created["id"].(string)
	if loc := w.Header().Get("Location"); loc != base+"/Users/"+id || path(created, "meta", "location") != loc {
		t.Errorf("Location = %q, meta.location = %v, want %q", loc, path(created, "meta", "location"), base+"/Users/"+id)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("Content-Type = %q, want application/scim+json", ct)
	}
	want := map[string]any{
		"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "id": id,
		"userName": "test.user@okta.local", "name": map[string]any{"givenName": "Test", "familyName": "User"},
		"emails":      []any{map[string]any{"primary": true, "value": "test.user@okta.local", "type": "work"}},
		"displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7", "active": true,
	}
	delete(created, "meta")
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("POST /Users body (-want +got):\n%s", diff)
	}
	u := e.user(id)
	if u.UserName != "test.user@okta.local" || !u.Active || u.Locked || u.ExternalID != "00ujl29u0le5T6Aj10h7" {
		t.Errorf("stored user = %+v, want active, unlocked test.user@okta.local", u)
	}
	evs := e.events()
	if diff := cmp.Diff([]string{"identity.user.provisioned.v1"}, types(evs)); diff != "" {
		t.Fatalf("events after create (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(events.UserChange{
		User:  events.User{ID: id, UserName: "test.user@okta.local", ExternalID: "00ujl29u0le5T6Aj10h7", DisplayName: "Test User", Active: true, Emails: []string{"test.user@okta.local"}},
		Actor: actor,
	}, userChange(t, evs[0])); diff != "" {
		t.Errorf("provisioned event (-want +got):\n%s", diff)
	}
	if evs[0].Subject() != id {
		t.Errorf("provisioned event subject = %q, want %q", evs[0].Subject(), id)
	}

	// "Expect failure when recreating user with same values", and the
	// userName case check.
	dup := e.must(http.StatusConflict, "POST", "/scim/v2/Users", strings.Replace(oktaCreateUser, "test.user@okta.local", "TEST.USER@OKTA.LOCAL", 1))
	if dup["scimType"] != "uniqueness" || dup["status"] != "409" {
		t.Errorf("duplicate POST body = %v, want scimType uniqueness, status \"409\"", dup)
	}
	found := e.must(http.StatusOK, "GET", `/scim/v2/Users?filter=userName%20eq%20%22TEST.USER%40OKTA.LOCAL%22`, "")
	if found["totalResults"] != 1.0 || path(found, "Resources", 0, "id") != id {
		t.Errorf("case-insensitive lookup = %v, want the user", found)
	}
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, "")
	missing := e.must(http.StatusNotFound, "GET", "/scim/v2/Users/010b5ab4-bd7b-4ad0-82a0-4a6bd4ac6a5e", "")
	if missing["status"] != "404" || !cmp.Equal(missing["schemas"], []any{"urn:ietf:params:scim:api:messages:2.0:Error"}) {
		t.Errorf("GET unknown user body = %v, want a SCIM error with status \"404\"", missing)
	}
	if len(e.events()) != 0 {
		t.Errorf("reads and failed writes enqueued events")
	}

	// Profile update: Okta sends the whole user with PUT.
	put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"` + id + `","userName":"test.user@okta.local",
	  "name":{"givenName":"Another","middleName":"Excited","familyName":"User"},
	  "emails":[{"primary":true,"value":"test.user@okta.local","type":"work","display":"test.user@okta.local"}],
	  "displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","active":true,"groups":[],
	  "password":"1mz050nq","meta":{"resourceType":"User"}}`
	got = e.must(http.StatusOK, "PUT", "/scim/v2/Users/"+id, put)
	if path(got, "name", "givenName") != "Another" || path(got, "emails", 0, "display") != "test.user@okta.local" {
		t.Errorf("PUT response = %v, want the new name and e-mail display", got)
	}
	evs = e.events()
	if diff := cmp.Diff([]string{"identity.user.updated.v1"}, types(evs)); diff != "" {
		t.Fatalf("events after PUT (-want +got):\n%s", diff)
	}
	if c := userChange(t, evs[0]); !cmp.Equal(c.Changed, []string{"emails", "name"}) {
		t.Errorf("updated.changed = %v, want [emails name]", c.Changed)
	}

	// Deactivation: a leaver is locked when the call returns.
	deactivate := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	got = e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, deactivate)
	if got["active"] != false {
		t.Errorf("PATCH active=false response active = %v, want false", got["active"])
	}
	if u := e.user(id); u.Active || !u.Locked || u.LockReason != "scim: deactivated" {
		t.Errorf("stored user after deactivation = active %v locked %v %q, want inactive and locked by SCIM", u.Active, u.Locked, u.LockReason)
	}
	evs = e.events()
	if diff := cmp.Diff([]string{"identity.user.deactivated.v1"}, types(evs)); diff != "" {
		t.Fatalf("events after deactivation (-want +got):\n%s", diff)
	}
	if c := userChange(t, evs[0]); !c.Locked || c.User.Active || !cmp.Equal(c.Changed, []string{"active"}) || c.Actor != actor {
		t.Errorf("deactivated event = %+v, want locked, inactive, changed [active], actor %s", c, actor)
	}

	// Okta repeats itself: a second deactivation changes and emits nothing.
	version := e.user(id).Version
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, deactivate)
	if evs := e.events(); len(evs) != 0 {
		t.Errorf("repeated deactivation emitted %v, want nothing", types(evs))
	}
	if v := e.user(id).Version; v != version {
		t.Errorf("repeated deactivation moved the version from %d to %d", version, v)
	}

	// A deactivated user stays readable, by id and by filter.
	if got := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, ""); got["active"] != false {
		t.Errorf("GET deactivated user active = %v, want false", got["active"])
	}
	if got := e.must(http.StatusOK, "GET", `/scim/v2/Users?filter=userName%20eq%20%22test.user%40okta.local%22`, ""); got["totalResults"] != 1.0 {
		t.Errorf("filter finds %v deactivated users, want 1", got["totalResults"])
	}

	// Reactivation unlocks.
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, strings.Replace(deactivate, "false", "true", 1))
	if u := e.user(id); !u.Active || u.Locked {
		t.Errorf("stored user after reactivation = active %v locked %v, want active and unlocked", u.Active, u.Locked)
	}
	evs = e.events()
	if diff := cmp.Diff([]string{"identity.user.reactivated.v1"}, types(evs)); diff != "" {
		t.Fatalf("events after reactivation (-want +got):\n%s", diff)
	}
	if c := userChange(t, evs[0]); c.Locked || !c.User.Active {
		t.Errorf("reactivated event = %+v, want unlocked and active", c)
	}
	if e.wakes.Load() != 4 {
		t.Errorf("Wake called %d times, want 4 (one per write that enqueued events)", e.wakes.Load())
	}
}

func TestOktaGroupPush(t *testing.T) {
	e := newEnv(t)
	ada := e.createUser("ada@example.com", "")
	bob := e.createUser("bob@example.com", "")

	w := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("POST /Groups = %d %s, want 201", w.Code, w.Body)
	}
	gid, _ := decode(t, w)["id"].(string)
	if w.Header().Get("Location") != base+"/Groups/"+gid {
		t.Errorf("Location = %q, want %q", w.Header().Get("Location"), base+"/Groups/"+gid)
	}
	if evs := e.events(); len(evs) != 0 {
		t.Errorf("creating an empty group emitted %v", types(evs))
	}
	got := e.must(http.StatusOK, "GET", `/scim/v2/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100`, "")
	if got["totalResults"] != 1.0 || path(got, "Resources", 0, "id") != gid {
		t.Errorf("group lookup = %v, want the group", got)
	}

	// Rename, with the id in the value as Okta sends it.
	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+gid,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Test SCIMv20"}}]}`)
	if g := e.group(gid); g.DisplayName != "Test SCIMv20" {
		t.Errorf("displayName after rename = %q, want Test SCIMv20", g.DisplayName)
	}
	if evs := e.events(); len(evs) != 0 {
		t.Errorf("renaming an empty group emitted %v", types(evs))
	}

	// Membership: add one, remove by filter, then replace the whole list.
	patch := func(ops string) {
		t.Helper()
		e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`)
	}
	patch(`{"op":"add","path":"members","value":[{"value":"` + ada + `","display":"ada@example.com"}]}`)
	checkMembership(t, e, gid, []string{ada}, []string{"ada@example.com"}, nil)
	patch(`{"op":"remove","path":"members[value eq \"` + ada + `\"]"}`)
	checkMembership(t, e, gid, nil, nil, []string{"ada@example.com"})
	patch(`{"op":"add","path":"members","value":[{"value":"` + ada + `"}]}`)
	e.events()
	patch(`{"op":"replace","path":"members","value":[{"value":"` + bob + `","display":"bob@example.com"}]}`)
	checkMembership(t, e, gid, []string{bob}, []string{"bob@example.com"}, []string{"ada@example.com"})
	patch(`{"op":"replace","path":"members","value":[{"value":"` + bob + `"}]}`)
	if evs := e.events(); len(evs) != 0 {
		t.Errorf("replacing the members with the same list emitted %v", types(evs))
	}

	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Groups/"+gid, "")
	checkMembership(t, e, "", nil, nil, []string{"bob@example.com"})
	e.must(http.StatusNotFound, "GET", "/scim/v2/Groups/"+gid, "")
}

// checkMembership checks the group's stored members (unless gid is "") and
// the one membership event the last request emitted.
func checkMembership(t *testing.T, e *env, gid string, members, added, removed []string) {
	t.Helper()
	if gid != "" {
		if got := e.group(gid).Members; !cmp.Equal(got, members, cmpEmpty) {
			t.Errorf("stored members = %v, want %v", got, members)
		}
	}
	evs := e.events()
	if len(evs) != 1 || evs[0].Type() != events.GroupMembershipChanged {
		t.Fatalf("events = %v, want one membership_changed", types(evs))
	}
	c := membershipChange(t, evs[0])
	names := func(ms []events.Member) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.UserName)
		}
		return out
	}
	if !cmp.Equal(names(c.Added), added, cmpEmpty) || !cmp.Equal(names(c.Removed), removed, cmpEmpty) {
		t.Errorf("membership change = added %v removed %v, want added %v removed %v", names(c.Added), names(c.Removed), added, removed)
	}
	if c.Actor == "" || strings.Contains(c.Actor, oktaToken) {
		t.Errorf("membership actor = %q, want the token's fingerprint", c.Actor)
	}
}

var cmpEmpty = cmpopts.EquateEmpty()
