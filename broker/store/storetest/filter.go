package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dataproc-iis/iis/broker/store"
)

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// filterDirectory is what the filter tests query: users with columns,
// e-mails, groups and JSON attributes of every type, and hostile text in
// their values (%, _, backslash, non-ASCII).
type filterDirectory struct {
	users  []store.User
	groups []store.Group
}

func newFilterDirectory(t *testing.T, s store.Store) filterDirectory {
	t.Helper()
	var d filterDirectory
	for _, u := range []store.User{
		{
			UserName: "ada@example.com", ExternalID: "00uADA", DisplayName: "Ada Lovelace", Active: true,
			Emails: []store.Email{{Value: "ada@work.example.com", Type: "work", Primary: true}, {Value: "Ada@Home.example.com", Type: "home"}},
			Attributes: json.RawMessage(`{"name":{"givenName":"Ada","familyName":"Lovelace"},"title":"Countess",
				"phoneNumbers":[{"value":"+44 1","type":"work","primary":true}],
				"` + enterprise + `":{"employeeNumber":"701","department":"Finance","manager":{"value":"mgr-1"}}}`),
		},
		{
			UserName: "Bob@Example.com", ExternalID: "00uBOB", DisplayName: "Bob", Active: false,
			Emails: []store.Email{{Value: "bob@home.example.com", Type: "home"}},
			Attributes: json.RawMessage(`{"name":{"givenName":"Bob","familyName":"Ross"},"title":"painter 100%",
				"phoneNumbers":[{"value":"+1 555","type":"mobile"},{"value":"+1 556","type":"work","primary":true}],
				"` + enterprise + `":{"department":"Art_Dept"}}`),
		},
		{
			UserName: "carol@example.com", Active: true,
			Attributes: json.RawMessage(`{"name":{"givenName":"Émile","familyName":"Çà"},"title":"back\\slash",
				"phoneNumbers":[{"value":"+33 1","primary":false}],"addresses":[]}`),
		},
		{UserName: "dave_x@example.com", DisplayName: "Dave", Active: true}, // no attributes, as imported
		{UserName: "e%ve@example.com", Active: true, Attributes: json.RawMessage(`{"title":"","name":{}}`)},
	} {
		d.users = append(d.users, putUser(t, s, u))
	}
	u := d.users
	for _, g := range []store.Group{
		{DisplayName: "Finance", ExternalID: "00gFIN", Members: []string{u[0].ID, u[1].ID}},
		{DisplayName: "engineering", Members: []string{u[1].ID}},
		{DisplayName: "Empty"},
	} {
		d.groups = append(d.groups, putGroup(t, s, g))
	}
	return d
}

// Filter helpers: a path is dotted, except that a key holding a URN is one
// key ("urn:...:User", "department").
func path(parts ...string) []string {
	if len(parts) == 1 && !strings.HasPrefix(parts[0], "urn:") {
		return strings.Split(parts[0], ".")
	}
	return parts
}

func cmpf(p string, op store.Op, v any) store.Compare {
	return store.Compare{Path: path(p), Op: op, Value: v}
}

func fold(c store.Compare) store.Compare { c.Fold = true; return c }

func pr(p string) store.Compare { return store.Compare{Path: path(p), Op: store.Pr} }

func anyOf(p string, f store.Filter) store.Any { return store.Any{Path: path(p), F: f} }

func testFilterUsers(t *testing.T, s store.Store) {
	d := newFilterDirectory(t, s)
	u := d.users
	g := d.groups
	created := func(cmp func(i int) bool) []int {
		var out []int
		for i := range u {
			if cmp(i) {
				out = append(out, i)
			}
		}
		return out
	}
	t2 := u[2].CreatedAt
	tests := []struct {
		name string
		f    store.Filter
		want []int
	}{
		// Strings in columns, with and without folding, every operator.
		{"userName eq folded", fold(cmpf("userName", store.Eq, "ADA@EXAMPLE.COM")), []int{0}},
		{"userName eq exact", cmpf("userName", store.Eq, "ADA@EXAMPLE.COM"), nil},
		{"userName eq exact match", cmpf("userName", store.Eq, "Bob@Example.com"), []int{1}},
		{"userName ne", fold(cmpf("userName", store.Ne, "ada@example.com")), []int{1, 2, 3, 4}},
		{"userName co", fold(cmpf("userName", store.Co, "EXAMPLE")), []int{0, 1, 2, 3, 4}},
		{"userName co % is literal", cmpf("userName", store.Co, "%"), []int{4}},
		{"userName co _ is literal", cmpf("userName", store.Co, "_"), []int{3}},
		{"userName sw folded", fold(cmpf("userName", store.Sw, "b")), []int{1}},
		{"userName sw exact", cmpf("userName", store.Sw, "b"), nil},
		{"userName sw exact match", cmpf("userName", store.Sw, "B"), []int{1}},
		{"userName ew", fold(cmpf("userName", store.Ew, ".COM")), []int{0, 1, 2, 3, 4}},
		{"userName ew %", cmpf("userName", store.Ew, "%@example.com"), nil},
		{"userName gt", fold(cmpf("userName", store.Gt, "c")), []int{2, 3, 4}},
		{"userName ge", fold(cmpf("userName", store.Ge, "carol@example.com")), []int{2, 3, 4}},
		{"userName lt exact: code point order", cmpf("userName", store.Lt, "a"), []int{1}},
		{"userName le", fold(cmpf("userName", store.Le, "bob@example.com")), []int{0, 1}},
		{"userName pr", pr("userName"), []int{0, 1, 2, 3, 4}},
		{"externalId eq", cmpf("externalId", store.Eq, "00uADA"), []int{0}},
		{"externalId is exact", cmpf("externalId", store.Eq, "00uada"), nil},
		{"externalId folded", fold(cmpf("externalId", store.Eq, "00uada")), []int{0}},
		{"externalId ne: absent matches", cmpf("externalId", store.Ne, "00uADA"), []int{1, 2, 3, 4}},
		{"externalId lt: absent does not match", cmpf("externalId", store.Lt, "00uB"), []int{0}},
		{"externalId co empty: present only", cmpf("externalId", store.Co, ""), []int{0, 1}},
		{"externalId co exact", cmpf("externalId", store.Co, "bob"), nil},
		{"externalId co folded", fold(cmpf("externalId", store.Co, "bob")), []int{1}},
		{"externalId pr", pr("externalId"), []int{0, 1}},
		{"eq empty matches nothing", cmpf("externalId", store.Eq, ""), nil},
		{"displayName eq", fold(cmpf("displayName", store.Eq, "ada LOVELACE")), []int{0}},
		{"displayName pr", pr("displayName"), []int{0, 1, 3}},
		{"displayName le: absent does not match", fold(cmpf("displayName", store.Le, "c")), []int{0, 1}},
		{"id eq", cmpf("id", store.Eq, u[3].ID), []int{3}},
		{"id folded", fold(cmpf("id", store.Eq, strings.ToUpper(u[3].ID))), []int{3}},

		// Booleans.
		{"active eq true", cmpf("active", store.Eq, true), []int{0, 2, 3, 4}},
		{"active eq false", cmpf("active", store.Eq, false), []int{1}},
		{"active ne true", cmpf("active", store.Ne, true), []int{1}},
		{"active pr", pr("active"), []int{0, 1, 2, 3, 4}},

		// Times.
		{"meta.created eq", cmpf("meta.created", store.Eq, t2), created(func(i int) bool { return u[i].CreatedAt.Equal(t2) })},
		{"meta.created ne", cmpf("meta.created", store.Ne, t2), created(func(i int) bool { return !u[i].CreatedAt.Equal(t2) })},
		{"meta.created gt", cmpf("meta.created", store.Gt, t2), created(func(i int) bool { return u[i].CreatedAt.After(t2) })},
		{"meta.created ge", cmpf("meta.created", store.Ge, t2), created(func(i int) bool { return !u[i].CreatedAt.Before(t2) })},
		{"meta.created lt", cmpf("meta.created", store.Lt, t2), created(func(i int) bool { return u[i].CreatedAt.Before(t2) })},
		{"meta.lastModified le", cmpf("meta.lastModified", store.Le, u[2].UpdatedAt), created(func(i int) bool { return !u[i].UpdatedAt.After(u[2].UpdatedAt) })},
		{"meta.created pr", pr("meta.created"), []int{0, 1, 2, 3, 4}},

		// Strings in the JSON attributes.
		{"name.givenName eq folded", fold(cmpf("name.givenName", store.Eq, "ada")), []int{0}},
		{"name.givenName eq exact", cmpf("name.givenName", store.Eq, "ada"), nil},
		{"name.givenName folds beyond ASCII", fold(cmpf("name.givenName", store.Eq, "éMILE")), []int{2}},
		{"name.familyName sw", fold(cmpf("name.familyName", store.Sw, "çà")), []int{2}},
		{"name.givenName ne: absent matches", fold(cmpf("name.givenName", store.Ne, "ADA")), []int{1, 2, 3, 4}},
		{"name.givenName gt: code point order", fold(cmpf("name.givenName", store.Gt, "b")), []int{1, 2}},
		{"name.givenName lt", fold(cmpf("name.givenName", store.Lt, "b")), []int{0}},
		{"title co % is literal", cmpf("title", store.Co, "%"), []int{1}},
		{"title co 0%", cmpf("title", store.Co, "0%"), []int{1}},
		{"title ew %%", cmpf("title", store.Ew, "%%"), nil},
		{"title co backslash", cmpf("title", store.Co, `\`), []int{2}},
		{"title co backslash-s", cmpf("title", store.Co, `\s`), []int{2}},
		{"title co _", cmpf("title", store.Co, "_"), nil},
		{"title eq empty", cmpf("title", store.Eq, ""), nil},
		{"title pr: \"\" is absent", pr("title"), []int{0, 1, 2}},
		{"name pr: {} is absent", pr("name"), []int{0, 1, 2}},
		{"name.middleName pr", pr("name.middleName"), nil},
		{"addresses pr: [] is absent", pr("addresses"), nil},
		{"enterprise department folded", fold(store.Compare{Path: path(enterprise, "department"), Op: store.Eq, Value: "ART_DEPT"}), []int{1}},
		{"enterprise department co _", store.Compare{Path: path(enterprise, "department"), Op: store.Co, Value: "t_D"}, []int{1}},
		{"enterprise manager.value", store.Compare{Path: path(enterprise, "manager", "value"), Op: store.Eq, Value: "mgr-1"}, []int{0}},
		{"enterprise pr", store.Compare{Path: path(enterprise), Op: store.Pr}, []int{0, 1}},
		{"a string attribute is not a boolean", cmpf("title", store.Eq, true), nil},
		{"a JSON boolean is not a string", anyOf("phoneNumbers", cmpf("primary", store.Eq, "true")), nil},

		// Multi-valued attributes: e-mails and groups in tables, others in JSON.
		{"emails type", anyOf("emails", fold(cmpf("type", store.Eq, "WORK"))), []int{0}},
		{"emails value co", anyOf("emails", fold(cmpf("value", store.Co, "HOME"))), []int{0, 1}},
		{"emails value exact", anyOf("emails", cmpf("value", store.Eq, "ada@home.example.com")), nil},
		{"emails one element matches both", anyOf("emails", store.And{fold(cmpf("type", store.Eq, "work")), fold(cmpf("value", store.Sw, "ada@home"))}), nil},
		{"emails and", anyOf("emails", store.And{fold(cmpf("type", store.Eq, "home")), fold(cmpf("value", store.Sw, "bob"))}), []int{1}},
		{"emails or", anyOf("emails", store.Or{fold(cmpf("type", store.Eq, "work")), fold(cmpf("value", store.Sw, "bob"))}), []int{0, 1}},
		{"emails not", anyOf("emails", store.Not{F: fold(cmpf("type", store.Eq, "work"))}), []int{0, 1}},
		{"emails primary", anyOf("emails", cmpf("primary", store.Eq, true)), []int{0}},
		{"emails pr", pr("emails"), []int{0, 1}},
		{"emails value pr", anyOf("emails", pr("value")), []int{0, 1}},
		{"emails any element", store.Any{Path: path("emails")}, []int{0, 1}},
		{"not emails pr", store.Not{F: pr("emails")}, []int{2, 3, 4}},
		{"phoneNumbers type and primary", anyOf("phoneNumbers", store.And{cmpf("type", store.Eq, "work"), cmpf("primary", store.Eq, true)}), []int{0, 1}},
		{"phoneNumbers mobile", anyOf("phoneNumbers", cmpf("type", store.Eq, "mobile")), []int{1}},
		{"phoneNumbers primary false", anyOf("phoneNumbers", cmpf("primary", store.Eq, false)), []int{2}},
		{"phoneNumbers primary ne true", anyOf("phoneNumbers", cmpf("primary", store.Ne, true)), []int{1, 2}},
		{"phoneNumbers value pr", anyOf("phoneNumbers", pr("value")), []int{0, 1, 2}},
		{"phoneNumbers pr", pr("phoneNumbers"), []int{0, 1, 2}},
		{"name is no array", anyOf("name", pr("givenName")), nil},
		{"groups value", anyOf("groups", cmpf("value", store.Eq, g[0].ID)), []int{0, 1}},
		{"groups display", anyOf("groups", fold(cmpf("display", store.Eq, "ENGINEERING"))), []int{1}},
		{"groups pr", pr("groups"), []int{0, 1}},

		// Logic.
		{"or", store.Or{fold(cmpf("userName", store.Eq, "ada@example.com")), fold(cmpf("userName", store.Eq, "bob@example.com"))}, []int{0, 1}},
		{"not", store.Not{F: cmpf("active", store.Eq, true)}, []int{1}},
		{"not of a missing value", store.Not{F: fold(cmpf("name.givenName", store.Eq, "ada"))}, []int{1, 2, 3, 4}},
		{"empty and", store.And{}, []int{0, 1, 2, 3, 4}},
		{"empty or", store.Or{}, nil},
		{"not empty or", store.Not{F: store.Or{}}, []int{0, 1, 2, 3, 4}},
		{"nested", store.And{
			store.Or{fold(cmpf("userName", store.Sw, "a")), fold(cmpf("userName", store.Sw, "b")), pr("displayName")},
			store.Not{F: anyOf("emails", fold(cmpf("type", store.Eq, "home")))},
		}, []int{3}},

		// Hostile values are values.
		{"quote", fold(cmpf("userName", store.Eq, "' OR '1'='1")), nil},
		{"statement", fold(cmpf("userName", store.Eq, `x"; DROP TABLE dir_users; --`)), nil},
		{"json path", cmpf("title", store.Eq, `$."title"`), nil},
		{"wildcard only", fold(cmpf("displayName", store.Co, "%_%")), nil},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range tests {
			var want []string
			for _, i := range tt.want {
				want = append(want, u[i].ID)
			}
			checkUsers(ctx, t, tx, tt.name, store.UserQuery{Filter: tt.f}, want, len(want))
		}
		return nil
	})
	// The hostile values changed nothing.
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		if n, err := tx.CountUsers(ctx, store.UserQuery{}); err != nil || n != len(u) {
			t.Errorf("CountUsers() after the hostile filters = %d, %v, want %d", n, err, len(u))
		}
		return nil
	})
}

// checkUsers lists and counts the users q selects and compares their ids,
// in order, with want, and their count with wantCount.
func checkUsers(ctx context.Context, t *testing.T, tx store.Tx, name string, q store.UserQuery, want []string, wantCount int) {
	t.Helper()
	got, err := tx.ListUsers(ctx, q)
	if err != nil {
		t.Errorf("ListUsers(%s): %v", name, err)
		return
	}
	var ids []string
	for _, u := range got {
		ids = append(ids, u.ID)
	}
	if diff := cmp.Diff(want, ids, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ListUsers(%s): mismatch (-want +got):\n%s", name, diff)
	}
	if n, err := tx.CountUsers(ctx, q); err != nil || n != wantCount {
		t.Errorf("CountUsers(%s) = %d, %v, want %d", name, n, err, wantCount)
	}
}
