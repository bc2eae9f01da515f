package scim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// The filter has two meanings that must agree: the SQL the store runs for a
// list, and eval, which PATCH paths and attribute selection use. These tests
// run each filter both ways over one directory and compare.

const agreeToken = "agree-scim-token-0123456789abcdef"

// agreeDirectory is a directory with hostile values in every kind of
// attribute: case, non-ASCII, LIKE wildcards, backslashes, quotes, absent
// and empty values, multi-valued attributes in tables and in JSON.
type agreeDirectory struct {
	st             store.Store
	users, groups  []map[string]any // as rendered
	userIDs, grpID []string
}

func newAgreeDirectory(t testing.TB, st store.Store) *agreeDirectory {
	t.Helper()
	srv, err := New(Config{Store: st, Tokens: []string{agreeToken}, RateLimit: 1e6, RateBurst: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body string) string {
		r := httptest.NewRequest("POST", "https://h"+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+agreeToken)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			t.Fatalf("POST %s %s = %d %s", path, body, w.Code, w.Body)
		}
		m, err := decodeObject(w.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return m["id"].(string)
	}
	d := &agreeDirectory{st: st}
	for _, u := range []string{
		`{"userName":"Ada.King@Example.com","externalId":"00uADA","displayName":"Ada King","title":"Countess 100%",
		  "name":{"givenName":"Ada","familyName":"King","formatted":"Ada King"},
		  "emails":[{"value":"ada@work.example.com","type":"work","primary":true},{"value":"ADA@home.example.com","type":"home"}],
		  "phoneNumbers":[{"value":"+44 20 1","type":"work","primary":true},{"value":"+44 7","type":"mobile"}],
		  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701","department":"Finance","manager":{"value":"M1"}}}`,
		`{"userName":"bob_1@example.com","externalId":"00ubob","displayName":"bob","title":"painter_1","active":false,
		  "name":{"givenName":"Bob","familyName":"O'Ross"},
		  "emails":[{"value":"bob%@home.example.com","type":"home"}],
		  "phoneNumbers":[{"value":"+1 555","type":"mobile"}],"roles":[{"value":"admin","primary":false}],
		  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"art\\dept"}}`,
		`{"userName":"émile@example.com","displayName":"ÉMILE","name":{"givenName":"Émile","familyName":"Çà"},"nickName":"\"q\""}`,
		`{"userName":"zed@example.com","active":true}`,
	} {
		d.userIDs = append(d.userIDs, post("/Users", u))
	}
	d.grpID = append(d.grpID,
		post("/Groups", `{"displayName":"Finance","externalId":"00gFIN","members":[{"value":"`+d.userIDs[0]+`"},{"value":"`+d.userIDs[1]+`"}]}`),
		post("/Groups", `{"displayName":"eng_%","members":[{"value":"`+d.userIDs[1]+`"}]}`),
		post("/Groups", `{"displayName":"Empty"}`),
	)
	err = st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		us, err := tx.ListUsers(ctx, store.UserQuery{})
		if err != nil {
			return err
		}
		for _, u := range us {
			gs, err := tx.GroupsOf(ctx, u.ID)
			if err != nil {
				return err
			}
			d.users = append(d.users, renderUser(u, gs, "https://h"))
		}
		gs, err := tx.ListGroups(ctx, store.GroupQuery{})
		for _, g := range gs {
			d.groups = append(d.groups, renderGroup(g, "https://h", true))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// check compiles raw for both resource types and, where it compiles,
// compares what the store returns with what eval selects. A filter that
// does not compile must be a SCIM 400.
func (d *agreeDirectory) check(t *testing.T, raw string) (compiled int) {
	t.Helper()
	for _, sch := range []*resourceSchema{userSchema, groupSchema} {
		x, err := parseFilter(sch, raw)
		if err == nil {
			var f store.Filter
			if f, err = sch.storeFilter(x); err == nil {
				compiled++
				d.compare(t, sch, raw, x, f)
				continue
			}
		}
		var se *scimError
		if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
			t.Fatalf("%s filter %q: error %v, want a SCIM 400", sch.name, raw, err)
		}
	}
	return compiled
}

func (d *agreeDirectory) compare(t *testing.T, sch *resourceSchema, raw string, x expr, f store.Filter) {
	t.Helper()
	var got []string
	err := d.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if sch == userSchema {
			us, err := tx.ListUsers(ctx, store.UserQuery{Filter: f})
			for _, u := range us {
				got = append(got, u.ID)
			}
			return err
		}
		gs, err := tx.ListGroups(ctx, store.GroupQuery{Filter: f, ExcludeMembers: true})
		for _, g := range gs {
			got = append(got, g.ID)
		}
		return err
	})
	if err != nil {
		t.Fatalf("%s filter %q: the store failed: %v", sch.name, raw, err)
	}
	resources := d.users
	if sch == groupSchema {
		resources = d.groups
	}
	var want []string
	for _, m := range resources {
		if eval(x, m) {
			want = append(want, m["id"].(string))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s filter %q: the store returns %v, eval %v", sch.name, raw, d.names(got), d.names(want))
	}
}

// names turns ids into indexes for messages (u0, g1).
func (d *agreeDirectory) names(ids []string) []string {
	var out []string
	for _, id := range ids {
		if i := slices.Index(d.userIDs, id); i >= 0 {
			out = append(out, "u"+string(rune('0'+i)))
		} else if i := slices.Index(d.grpID, id); i >= 0 {
			out = append(out, "g"+string(rune('0'+i)))
		}
	}
	return out
}

// agreeFilters exercise every operator on every kind of attribute.
var agreeFilters = []string{
	`userName eq "ada.king@example.com"`, `userName ne "zed@example.com"`, `userName co "_"`, `userName co "%"`,
	`userName sw "É"`, `userName ew ".COM"`, `userName gt "b"`, `userName ge "bob_1@example.com"`, `userName lt "c"`,
	`userName le "émile@example.com"`, `userName pr`, `id pr`, `externalId eq "00UADA"`, `externalId co "b"`,
	`externalId lt "00ub"`, `externalId pr`, `not (externalId pr)`, `displayName eq "émile"`, `displayName gt "B"`,
	`displayName co ""`, `displayName eq ""`, `active eq false`, `active ne false`, `title co "%"`, `title co "_"`,
	`title sw "countess"`, `title eq null`, `title ne null`, `nickName co "\""`, `nickName eq "\"q\""`,
	`name.givenName eq "émile"`, `name.familyName co "'"`, `name.familyName gt "k"`, `name pr`, `name.formatted pr`,
	`name.middleName pr`, `emails pr`, `emails eq "ada@home.example.com"`, `emails.value co "%"`, `emails.type eq "HOME"`,
	`emails[type eq "work" and primary eq true]`, `emails[type eq "home" or value sw "ada@w"]`, `emails[not (type eq "home")]`,
	`emails[type eq "home"].value sw "ADA"`, `emails.primary eq false`, `emails.primary ne true`, `phoneNumbers[type eq "mobile"]`,
	`phoneNumbers.primary eq true`, `phoneNumbers.value ew "7"`, `phoneNumbers pr`, `roles.primary eq false`, `roles pr`,
	`groups.value pr`, `groups[display eq "FINANCE"]`, `groups.display sw "eng_"`, `groups.type eq "direct"`, `not (groups pr)`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department co "\\"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber ge "700"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`,
	`meta.created gt "2000-01-01T00:00:00Z"`, `meta.lastModified le "2000-01-01T00:00:00Z"`, `meta.created ne "2000-01-01T00:00:00.5Z"`,
	`meta.resourceType eq "user"`, `meta.resourceType eq "User"`,
	`displayName eq "FINANCE" or displayName co "_"`, `members[value eq "` + "x" + `"]`, `members pr`, `members.type eq "User"`,
	`not (members pr) and displayName sw "e"`, `externalId eq "00gFIN"`,
	`(userName sw "a" or userName sw "b") and not (active eq false)`, `userName sw "a" or userName sw "b" and active eq true`,
}

func TestFilterAgreement(t *testing.T) {
	for _, backend := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(backend.name, func(t *testing.T) {
			d := newAgreeDirectory(t, backend.open(t))
			compiled := 0
			for _, f := range agreeFilters {
				compiled += d.check(t, f)
			}
			if compiled < len(agreeFilters) {
				t.Errorf("%d of %d filters compiled for a resource type, want each for at least one", compiled, len(agreeFilters))
			}
		})
	}
}

// FuzzFilterSQL: whatever the text, a filter is a SCIM 400 or SQL that
// returns exactly what eval selects (on SQLite, which folds case as eval
// does).
func FuzzFilterSQL(f *testing.F) {
	for _, s := range agreeFilters {
		f.Add(s)
	}
	for _, s := range []string{
		`emails[type eq "work"].value eq "x" or userName eq "y"`, `((((userName pr))))`, `userName eq "a\u0000"`,
		`emails[value co "%" and (type eq "home" or not (primary eq true))]`, `meta.created eq "2026-13-01T00:00:00Z"`,
		`userName eq "x\" or \"1\" eq \"1"`, `title gt 1.5e3`, `active eq null`, `emails[value pr].type pr`,
	} {
		f.Add(s)
	}
	d := newAgreeDirectory(f, storetest.SQLite(f))
	f.Fuzz(func(t *testing.T, raw string) {
		d.check(t, raw)
	})
}
