package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

func testUserEmail(t *testing.T, s store.Store) {
	a := putUser(t, s, alice())
	putUser(t, s, store.User{UserName: "bob", Emails: []store.Email{{Value: "shared@example.com"}}})
	putUser(t, s, store.User{UserName: "bob2", Emails: []store.Email{{Value: "Shared@Example.com", Type: "work"}}})
	tests := []struct {
		email  string
		wantID string
		want   error
	}{
		{"alice@example.com", a.ID, nil},
		{"ALICE@HOME.EXAMPLE", "", store.ErrNotFound}, // a secondary address identifies nobody
		{"shared@example.com", "", store.ErrConflict}, // never guess between two people
		{"nobody@example.com", "", store.ErrNotFound},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.FindUserByEmail(ctx, tt.email)
			wantErr(t, "FindUserByEmail("+tt.email+")", err, tt.want)
			if got.ID != tt.wantID {
				t.Errorf("FindUserByEmail(%q) = %q, want %q", tt.email, got.ID, tt.wantID)
			}
		}
		return nil
	})
}

func testUserAttributes(t *testing.T, s store.Store) {
	tests := []struct {
		name  string
		attrs string
		want  error
	}{
		{"object", `{"name":{"givenName":"A"},"emails":[{"value":"a@x"}]}`, nil},
		{"none", ``, nil},
		{"password", `{"userName":"a","password":"hunter2"}`, store.ErrInvalid},
		{"password in any case", `{"PassWord":"hunter2"}`, store.ErrInvalid},
		{"nested password", `{"x":[{"password":"hunter2"}]}`, store.ErrInvalid},
		{"URN-qualified password", `{"urn:ietf:params:scim:schemas:core:2.0:User:password":"hunter2"}`, store.ErrInvalid},
		{"not an object", `["a"]`, store.ErrInvalid},
		{"malformed", `{"a":`, store.ErrInvalid},
		{"trailing data", `{} {}`, store.ErrInvalid},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := store.User{UserName: fmt.Sprintf("user%d", i), Attributes: json.RawMessage(tt.attrs)}
			err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				var err error
				u, err = tx.PutUser(ctx, u)
				return err
			})
			wantErr(t, "PutUser(attributes "+tt.attrs+")", err, tt.want)
			if err != nil {
				return
			}
			got, err := getUser(t, s, u.ID)
			if err != nil || string(got.Attributes) != tt.attrs {
				t.Errorf("GetUser().Attributes = %s, %v, want %s", got.Attributes, err, tt.attrs)
			}
		})
	}
}

func testListUsers(t *testing.T, s store.Store) {
	var all []store.User
	for i := range 5 {
		u := store.User{
			UserName:    fmt.Sprintf("User%d@example.com", i),
			ExternalID:  fmt.Sprintf("ext-%d", i%2),
			DisplayName: fmt.Sprintf("Team %d", i%3),
			Emails:      []store.Email{{Value: fmt.Sprintf("u%d@example.com", i), Type: []string{"work", "home"}[i%2]}},
		}
		all = append(all, putUser(t, s, u))
	}
	sortByCreation(all)
	pick := func(is ...int) []store.User {
		var out []store.User
		for _, i := range is {
			out = append(out, all[i])
		}
		return out
	}
	tests := []struct {
		name      string
		q         store.UserQuery
		want      []store.User
		wantCount int
	}{
		{"all", store.UserQuery{}, all, 5},
		{"userName, any case", store.UserQuery{UserName: "USER3@EXAMPLE.COM"}, pick(3), 1},
		{"externalId", store.UserQuery{ExternalID: "ext-1"}, pick(1, 3), 2},
		{"externalId is case-exact", store.UserQuery{ExternalID: "EXT-1"}, nil, 0},
		{"displayName", store.UserQuery{DisplayName: "team 0"}, pick(0, 3), 2},
		{"email", store.UserQuery{Email: "U2@example.com"}, pick(2), 1},
		{"email and type", store.UserQuery{Email: "u2@example.com", EmailType: "WORK"}, pick(2), 1},
		{"email of another type", store.UserQuery{Email: "u2@example.com", EmailType: "home"}, nil, 0},
		{"and", store.UserQuery{ExternalID: "ext-0", DisplayName: "Team 1"}, pick(4), 1},
		{"first page", store.UserQuery{Limit: 2}, pick(0, 1), 5},
		{"second page", store.UserQuery{Offset: 2, Limit: 2}, pick(2, 3), 5},
		{"last page", store.UserQuery{Offset: 4, Limit: 2}, pick(4), 5},
		{"past the end", store.UserQuery{Offset: 9}, nil, 5},
		{"offset only", store.UserQuery{Offset: 3}, pick(3, 4), 5},
		{"no match", store.UserQuery{UserName: "nobody"}, nil, 0},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.ListUsers(ctx, tt.q)
			if err != nil {
				t.Errorf("ListUsers(%s): %v", tt.name, err)
				continue
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListUsers(%s): mismatch (-want +got):\n%s", tt.name, diff)
			}
			n, err := tx.CountUsers(ctx, tt.q)
			if err != nil || n != tt.wantCount {
				t.Errorf("CountUsers(%s) = %d, %v, want %d", tt.name, n, err, tt.wantCount)
			}
		}
		_, err := tx.ListUsers(ctx, store.UserQuery{Offset: -1})
		wantErr(t, "ListUsers(offset -1)", err, store.ErrInvalid)
		return nil
	})
}

func testDeleteUser(t *testing.T, s store.Store) {
	a := putUser(t, s, alice())
	b := putUser(t, s, store.User{UserName: "bob"})
	g := putGroup(t, s, store.Group{DisplayName: "admins", Members: []string{a.ID, b.ID}})
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, a.ID) })

	if _, err := getUser(t, s, a.ID); err == nil {
		t.Errorf("GetUser after DeleteUser = no error, want ErrNotFound")
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetGroup(ctx, g.ID)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{b.ID}, got.Members); diff != "" || got.Version != g.Version+1 {
			t.Errorf("group after DeleteUser: Version %d (want %d), members (-want +got):\n%s", got.Version, g.Version+1, diff)
		}
		_, err = tx.FindUserByEmail(ctx, "alice@example.com")
		wantErr(t, "FindUserByEmail(deleted user)", err, store.ErrNotFound)
		gs, err := tx.GroupsOf(ctx, a.ID)
		if err != nil || len(gs) != 0 {
			t.Errorf("GroupsOf(deleted user) = %v, %v, want none", gs, err)
		}
		return nil
	})
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, a.ID) })
	wantErr(t, "DeleteUser(deleted user)", err, store.ErrNotFound)
	// The userName is free again.
	putUser(t, s, alice())
}

// sortByCreation puts users in the store's list order: creation time, then id
// (two users created in the same microsecond are ordered by id).
func sortByCreation(us []store.User) {
	slices.SortStableFunc(us, func(a, b store.User) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
