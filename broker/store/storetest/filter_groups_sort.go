package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dataproc-iis/iis/broker/store"
)

func testFilterGroups(t *testing.T, s store.Store) {
	d := newFilterDirectory(t, s)
	u, g := d.users, d.groups
	tests := []struct {
		name string
		f    store.Filter
		want []int
	}{
		{"displayName eq", fold(cmpf("displayName", store.Eq, "FINANCE")), []int{0}},
		{"displayName eq exact", cmpf("displayName", store.Eq, "FINANCE"), nil},
		{"displayName sw", fold(cmpf("displayName", store.Sw, "e")), []int{1, 2}},
		{"displayName gt", fold(cmpf("displayName", store.Gt, "empty")), []int{0, 1}},
		{"externalId", cmpf("externalId", store.Eq, "00gFIN"), []int{0}},
		{"externalId pr", pr("externalId"), []int{0}},
		{"id", cmpf("id", store.Eq, g[2].ID), []int{2}},
		{"members value", anyOf("members", cmpf("value", store.Eq, u[1].ID)), []int{0, 1}},
		{"members value folded", anyOf("members", fold(cmpf("value", store.Eq, strings.ToUpper(u[0].ID)))), []int{0}},
		{"members value or", anyOf("members", store.Or{cmpf("value", store.Eq, u[0].ID), cmpf("value", store.Eq, u[4].ID)}), []int{0}},
		{"members pr", pr("members"), []int{0, 1}},
		{"no members", store.Not{F: pr("members")}, []int{2}},
		{"meta.created ge", cmpf("meta.created", store.Ge, g[0].CreatedAt), []int{0, 1, 2}},
		{"and", store.And{fold(cmpf("displayName", store.Sw, "e")), pr("members")}, []int{1}},
		{"hostile", fold(cmpf("displayName", store.Eq, "x' OR 1=1 --")), nil},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range tests {
			var want []string
			for _, i := range tt.want {
				want = append(want, g[i].ID)
			}
			checkGroups(ctx, t, tx, tt.name, store.GroupQuery{Filter: tt.f}, want, len(want))
		}
		return nil
	})
}

func checkGroups(ctx context.Context, t *testing.T, tx store.Tx, name string, q store.GroupQuery, want []string, wantCount int) {
	t.Helper()
	got, err := tx.ListGroups(ctx, q)
	if err != nil {
		t.Errorf("ListGroups(%s): %v", name, err)
		return
	}
	var ids []string
	for _, g := range got {
		ids = append(ids, g.ID)
	}
	if diff := cmp.Diff(want, ids, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ListGroups(%s): mismatch (-want +got):\n%s", name, diff)
	}
	if n, err := tx.CountGroups(ctx, q); err != nil || n != wantCount {
		t.Errorf("CountGroups(%s) = %d, %v, want %d", name, n, err, wantCount)
	}
}

func testSortUsers(t *testing.T, s store.Store) {
	d := newFilterDirectory(t, s)
	u := d.users
	by := func(p string, fold, desc bool) *store.Sort { return &store.Sort{Path: path(p), Fold: fold, Desc: desc} }
	tests := []struct {
		name  string
		q     store.UserQuery
		want  []int
		total int
	}{
		{"userName folded", store.UserQuery{Sort: by("userName", true, false)}, []int{0, 1, 2, 3, 4}, 5},
		{"userName folded descending", store.UserQuery{Sort: by("userName", true, true)}, []int{4, 3, 2, 1, 0}, 5},
		{"userName exact: code point order", store.UserQuery{Sort: by("userName", false, false)}, []int{1, 0, 2, 3, 4}, 5},
		{"displayName: absent last", store.UserQuery{Sort: by("displayName", true, false)}, []int{0, 1, 3, 2, 4}, 5},
		{"displayName descending: absent first", store.UserQuery{Sort: by("displayName", true, true)}, []int{2, 4, 3, 1, 0}, 5},
		{"name.givenName", store.UserQuery{Sort: by("name.givenName", true, false)}, []int{0, 1, 2, 3, 4}, 5},
		{"name.givenName descending", store.UserQuery{Sort: by("name.givenName", true, true)}, []int{3, 4, 2, 1, 0}, 5},
		{"emails: the primary, else the first", store.UserQuery{Sort: by("emails.value", true, false)}, []int{0, 1, 2, 3, 4}, 5},
		{"emails type: the primary's", store.UserQuery{Sort: by("emails.type", true, true)}, []int{2, 3, 4, 0, 1}, 5},
		{"phoneNumbers: the primary, else the first", store.UserQuery{Sort: by("phoneNumbers.value", false, false)}, []int{1, 2, 0, 3, 4}, 5},
		{"enterprise department", store.UserQuery{Sort: &store.Sort{Path: path(enterprise, "department"), Fold: true}}, []int{1, 0, 2, 3, 4}, 5},
		{"active", store.UserQuery{Sort: by("active", false, false)}, []int{1, 0, 2, 3, 4}, 5},
		{"meta.created descending", store.UserQuery{Sort: by("meta.created", false, true)}, []int{4, 3, 2, 1, 0}, 5},
		{"filtered and paged", store.UserQuery{
			Filter: cmpf("active", store.Eq, true), Sort: by("userName", true, true), Offset: 1, Limit: 2,
		}, []int{3, 2}, 4},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range tests {
			var want []string
			for _, i := range tt.want {
				want = append(want, u[i].ID)
			}
			checkUsers(ctx, t, tx, tt.name, tt.q, want, tt.total)
		}
		return nil
	})
}

// testFilterInvalid: filters no backend can answer are ErrInvalid, before
// any SQL runs, and so are sorts.
func testFilterInvalid(t *testing.T, s store.Store) {
	deep := store.Filter(pr("userName"))
	for range store.MaxFilterDepth {
		deep = store.Not{F: deep}
	}
	var many store.Or
	for range store.MaxFilterTerms + 1 {
		many = append(many, pr("userName"))
	}
	users := []struct {
		name string
		f    store.Filter
	}{
		{"no path", store.Compare{Op: store.Eq, Value: "x"}},
		{"long path", store.Compare{Path: []string{"a", "b", "c", "d"}, Op: store.Eq, Value: "x"}},
		{"quote in a key", store.Compare{Path: []string{`title"`}, Op: store.Eq, Value: "x"}},
		{"SQL in a key", store.Compare{Path: []string{"title') OR 1=1 --"}, Op: store.Eq, Value: "x"}},
		{"empty key", store.Compare{Path: []string{""}, Op: store.Eq, Value: "x"}},
		{"unknown operator", store.Compare{Path: path("userName"), Op: "like", Value: "x"}},
		{"integer", cmpf("userName", store.Eq, 1)},
		{"pr with a value", store.Compare{Path: path("userName"), Op: store.Pr, Value: "x"}},
		{"eq without a value", store.Compare{Path: path("userName"), Op: store.Eq}},
		{"NUL", cmpf("userName", store.Eq, "a\x00b")},
		{"invalid UTF-8", cmpf("title", store.Eq, "a\xffb")},
		{"gt on a boolean", cmpf("active", store.Gt, true)},
		{"co on a time", cmpf("meta.created", store.Co, "2026")},
		{"string for a time", cmpf("meta.created", store.Eq, "2026-01-01T00:00:00Z")},
		{"time for a string", cmpf("userName", store.Eq, time.Now())},
		{"boolean for a string column", cmpf("userName", store.Eq, true)},
		{"multi-valued without Any", cmpf("emails", store.Eq, "a@x")},
		{"unknown e-mail sub-attribute", anyOf("emails", cmpf("display", store.Eq, "x"))},
		{"Any inside Any", anyOf("phoneNumbers", anyOf("emails", pr("value")))},
		{"nil inside", store.And{nil}},
		{"too deep", deep},
		{"too many comparisons", many},
	}
	groups := []struct {
		name string
		f    store.Filter
	}{
		{"no such attribute", cmpf("title", store.Eq, "x")},
		{"no such multi-valued attribute", anyOf("emails", pr("value"))},
		{"unknown member sub-attribute", anyOf("members", cmpf("display", store.Eq, "x"))},
	}
	sorts := []store.Sort{
		{Path: path("groups.value")},
		{Path: []string{"a", "b", "c", "d"}},
		{Path: []string{"x y"}},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range users {
			_, err := tx.ListUsers(ctx, store.UserQuery{Filter: tt.f})
			wantErr(t, "ListUsers("+tt.name+")", err, store.ErrInvalid)
			_, err = tx.CountUsers(ctx, store.UserQuery{Filter: tt.f})
			wantErr(t, "CountUsers("+tt.name+")", err, store.ErrInvalid)
		}
		for _, tt := range groups {
			_, err := tx.ListGroups(ctx, store.GroupQuery{Filter: tt.f})
			wantErr(t, "ListGroups("+tt.name+")", err, store.ErrInvalid)
		}
		for _, so := range sorts {
			_, err := tx.ListUsers(ctx, store.UserQuery{Sort: &so})
			wantErr(t, "ListUsers(sort "+strings.Join(so.Path, ".")+")", err, store.ErrInvalid)
		}
		_, err := tx.ListGroups(ctx, store.GroupQuery{Sort: &store.Sort{Path: path("members.value")}})
		wantErr(t, "ListGroups(sort members.value)", err, store.ErrInvalid)
		return nil
	})
}
