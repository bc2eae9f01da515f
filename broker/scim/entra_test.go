package scim_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/events"
)

// The requests below follow Microsoft's "Tutorial: Develop and plan
// provisioning for a SCIM endpoint in Microsoft Entra ID" (request and
// response examples) and the known issues of its SCIM client (booleans as
// strings, path-less replace with dotted and URN keys, array-valued
// manager, member removal by value list).

const entraCreateUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": [],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "100009", "department": "Finance"}
}`

func entraPatch(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
}

func TestEntraUserLifecycle(t *testing.T) {
	e := newEnv(t)
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	boss := e.createUser("boss@testuser.com", "")

	got := e.must(http.StatusOK, "GET", `/scim/v2/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22`, "")
	if got["totalResults"] != 0.0 || !cmp.Equal(got["Resources"], []any{}) {
		t.Errorf("lookup before create = %v, want no match with an empty Resources array", got)
	}
	created := e.must(http.StatusCreated, "POST", "/scim/v2/Users", entraCreateUser)
	id := created["id"].(string)
	if !cmp.Equal(created["schemas"], []any{"urn:ietf:params:scim:schemas:core:2.0:User", ent}) || path(created, ent, "employeeNumber") != "100009" {
		t.Errorf("POST /Users = %v, want both schemas and the enterprise attributes", created)
	}
	if _, ok := created["roles"]; ok {
		t.Errorf("an empty roles list was stored: %v", created["roles"])
	}
	if types(e.events())[0] != "identity.user.provisioned.v1" {
		t.Fatal("no provisioned event")
	}
	for _, f := range []string{
		`externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22`,
		`emails%5Btype+eq+%22work%22%5D.value+eq+%22test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e%40testuser.com%22`,
		`urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Aextension%3Aenterprise%3A2.0%3AUser%3AemployeeNumber+eq+%22100009%22`,
	} {
		if got := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+f, ""); got["totalResults"] != 1.0 {
			t.Errorf("GET /Users?filter=%s found %v users, want 1", f, got["totalResults"])
		}
	}

	steps := []struct {
		name    string
		ops     string
		typ     string
		changed []string
		check   func(t *testing.T, u map[string]any)
	}{{
		name: "Update User [Multi-valued properties]",
		ops: `{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
		      {"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}`,
		typ: events.UserUpdated, changed: []string{"emails", "name"},
		check: func(t *testing.T, u map[string]any) {
			if path(u, "emails", 0, "value") != "updatedEmail@microsoft.com" || path(u, "name", "familyName") != "updatedFamilyName" {
				t.Errorf("user = %v, want the new e-mail and family name", u)
			}
		},
	}, {
		name: "Update User [Single-valued properties]",
		ops:  `{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}`,
		typ:  events.UserUpdated, changed: []string{"userName"},
	}, {
		name: "path-less replace with dotted, filtered and URN keys",
		ops: `{"op":"replace","value":{"displayName":"Pvlo","emails[type eq \"work\"].value":"TestBcwqnm@test.microsoft.com",
		      "name.givenName":"Gtfd","name.familyName":"Pkqf","externalId":"Eqpj",
		      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Eqpj"}}`,
		typ:     events.UserUpdated,
		changed: []string{"displayName", "emails", "externalId", "name", ent + ":employeeNumber"},
		check: func(t *testing.T, u map[string]any) {
			if path(u, "name", "givenName") != "Gtfd" || path(u, ent, "employeeNumber") != "Eqpj" || path(u, ent, "department") != "Finance" {
				t.Errorf("user = %v, want the replaced attributes and department kept", u)
			}
		},
	}, {
		name:    "manager as a one-element array",
		ops:     `{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":[{"value":"` + boss + `"}]}`,
		typ:     events.UserUpdated,
		changed: []string{ent + ":manager"},
		check: func(t *testing.T, u map[string]any) {
			if path(u, ent, "manager", "value") != boss {
				t.Errorf("manager = %v, want %s", path(u, ent, "manager"), boss)
			}
		},
	}, {
		name: "Disable User with a string boolean",
		ops:  `{"op":"Replace","path":"active","value":"False"}`,
		typ:  events.UserDeactivated, changed: []string{"active"},
	}, {
		name: "Disable User again",
		ops:  `{"op":"Replace","path":"active","value":false}`,
	}, {
		name: "Enable User with a string boolean",
		ops:  `{"op":"Replace","path":"active","value":"True"}`,
		typ:  events.UserReactivated, changed: []string{"active"},
	}, {
		name:    "remove manager",
		ops:     `{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`,
		typ:     events.UserUpdated,
		changed: []string{ent + ":manager"},
	}}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			u := e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, entraPatch(st.ops))
			if st.check != nil {
				st.check(t, u)
			}
			evs := e.events()
			if st.typ == "" {
				if len(evs) != 0 {
					t.Errorf("events = %v, want none", types(evs))
				}
				return
			}
			if len(evs) != 1 || evs[0].Type() != st.typ {
				t.Fatalf("events = %v, want one %s", types(evs), st.typ)
			}
			if c := userChange(t, evs[0]); !cmp.Equal(c.Changed, st.changed) {
				t.Errorf("changed = %v, want %v", c.Changed, st.changed)
			}
		})
	}

	// Delete User: 204, then 404; the leaver's event says locked.
	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+id, "")
	e.must(http.StatusNotFound, "GET", "/scim/v2/Users/"+id, "")
	evs := e.events()
	if diff := cmp.Diff([]string{"identity.user.deleted.v1"}, types(evs)); diff != "" {
		t.Fatalf("events after DELETE (-want +got):\n%s", diff)
	}
	if c := userChange(t, evs[0]); !c.Locked || c.User.ID != id {
		t.Errorf("deleted event = %+v, want locked user %s", c, id)
	}
	e.must(http.StatusNotFound, "DELETE", "/scim/v2/Users/"+id, "")
}

func TestEntraGroupPush(t *testing.T) {
	e := newEnv(t)
	ada := e.createUser("ada@testuser.com", "")
	bob := e.createUser("bob@testuser.com", "")
	cy := e.createUser("cy@testuser.com", "")

	created := e.must(http.StatusCreated, "POST", "/scim/v2/Groups", `{
	  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
	  "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName", "meta": {"resourceType": "Group"}}`)
	gid := created["id"].(string)
	if created["externalId"] != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Errorf("POST /Groups = %v, want the externalId", created)
	}

	got := e.must(http.StatusOK, "GET", "/scim/v2/Groups/"+gid+"?excludedAttributes=members", "")
	if _, ok := got["members"]; ok || got["displayName"] != "displayName" {
		t.Errorf("GET group excluding members = %v, want no members key", got)
	}
	got = e.must(http.StatusOK, "GET", `/scim/v2/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22`, "")
	if got["totalResults"] != 1.0 || path(got, "Resources", 0, "members") != nil {
		t.Errorf("group lookup by displayName = %v, want one group without members", got)
	}

	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+gid,
		entraPatch(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+ada+`"},{"$ref":null,"value":"`+bob+`"},{"$ref":null,"value":"`+cy+`"}]}`))
	checkMembership(t, e, gid, sorted(ada, bob, cy), names(e, ada, bob, cy), nil)

	// Entra removes members by listing them: only those go.
	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+gid,
		entraPatch(`{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+bob+`"}]}`))
	checkMembership(t, e, gid, sorted(ada, cy), nil, []string{"bob@testuser.com"})

	if got := e.must(http.StatusOK, "GET", `/scim/v2/Groups?filter=members+eq+%22`+ada+`%22`, ""); got["totalResults"] != 1.0 {
		t.Errorf("members eq filter found %v groups, want 1", got["totalResults"])
	}
	if got := e.must(http.StatusOK, "GET", `/scim/v2/Groups?filter=members+eq+%22`+bob+`%22`, ""); got["totalResults"] != 0.0 {
		t.Errorf("members eq filter for a removed member found %v groups, want 0", got["totalResults"])
	}

	// Update Group [Non-member attributes]: a rename moves every member
	// out of the old name and into the new one.
	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+gid,
		entraPatch(`{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}`))
	evs := e.events()
	if len(evs) != 2 {
		t.Fatalf("rename emitted %v, want two membership changes", types(evs))
	}
	out, in := membershipChange(t, evs[0]), membershipChange(t, evs[1])
	if out.Group.DisplayName != "displayName" || len(out.Removed) != 2 || in.Group.DisplayName != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" || len(in.Added) != 2 {
		t.Errorf("rename events = %+v and %+v, want both members out of the old name and into the new", out, in)
	}

	// A user's groups show on the user, and deleting the user reports the
	// group membership it ends.
	if got := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+ada, ""); path(got, "groups", 0, "value") != gid {
		t.Errorf("user groups = %v, want %s", got["groups"], gid)
	}
	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+ada, "")
	evs = e.events()
	if diff := cmp.Diff([]string{"identity.user.deleted.v1", "identity.group.membership_changed.v1"}, types(evs)); diff != "" {
		t.Fatalf("events after deleting a member (-want +got):\n%s", diff)
	}
	if c := membershipChange(t, evs[1]); c.Group.ID != gid || len(c.Removed) != 1 || c.Removed[0].ID != ada || c.Removed[0].UserName != "ada@testuser.com" {
		t.Errorf("membership change of the deletion = %+v, want ada removed from %s", c, gid)
	}
	if g := e.group(gid); !cmp.Equal(g.Members, []string{cy}) {
		t.Errorf("members after deleting ada = %v, want [%s]", g.Members, cy)
	}
	if c := userChange(t, evs[0]); !cmp.Equal(c.User.Groups, []string{"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}) {
		t.Errorf("deleted event groups = %v, want the group the user was in", c.User.Groups)
	}

	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Groups/"+gid, "")
	checkMembership(t, e, "", nil, nil, []string{"cy@testuser.com"})
}

func names(e *env, ids ...string) []string {
	var out []string
	for _, id := range sorted(ids...) {
		out = append(out, e.user(id).UserName)
	}
	return out
}
