package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

// putGroup stores g and returns it as stored.
func putGroup(t testing.TB, s store.Store, g store.Group) store.Group {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		g, err = tx.PutGroup(ctx, g)
		return err
	})
	return g
}

// getGroup reads a group by id.
func getGroup(t testing.TB, s store.Store, id string) store.Group {
	t.Helper()
	var g store.Group
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		g, err = tx.GetGroup(ctx, id)
		return err
	})
	return g
}

// users creates n users and returns their ids, sorted.
func users(t testing.TB, s store.Store, n int) []string {
	var out []string
	for i := range n {
		out = append(out, putUser(t, s, store.User{UserName: fmt.Sprintf("member%d", i)}).ID)
	}
	slices.Sort(out)
	return out
}

func testGroupCRUD(t *testing.T, s store.Store) {
	u := users(t, s, 3)
	g := putGroup(t, s, store.Group{DisplayName: "Data Engineers", ExternalID: "okta-1", Members: []string{u[2], u[0], u[2], ""}})
	if g.ID == "" || g.Version != 1 {
		t.Fatalf("PutGroup(new) = ID %q, Version %d, want an id and version 1", g.ID, g.Version)
	}
	if diff := cmp.Diff([]string{u[0], u[2]}, g.Members); diff != "" {
		t.Errorf("PutGroup members (sorted, unique): mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(g, getGroup(t, s, g.ID)); diff != "" {
		t.Errorf("GetGroup: mismatch (-put +got):\n%s", diff)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetGroupByName(ctx, "DATA engineers")
		if err != nil || got.ID != g.ID {
			t.Errorf("GetGroupByName(any case) = %q, %v, want %q", got.ID, err, g.ID)
		}
		_, err = tx.GetGroup(ctx, "nope")
		wantErr(t, "GetGroup(unknown)", err, store.ErrNotFound)
		return nil
	})

	g.DisplayName, g.Members = "Data Platform", []string{u[1]}
	g2 := putGroup(t, s, g)
	if g2.Version != 2 || !g2.CreatedAt.Equal(g.CreatedAt) {
		t.Errorf("PutGroup(update) = Version %d, CreatedAt %v, want 2, %v", g2.Version, g2.CreatedAt, g.CreatedAt)
	}
	if diff := cmp.Diff(g2, getGroup(t, s, g.ID)); diff != "" {
		t.Errorf("GetGroup after update: mismatch (-put +got):\n%s", diff)
	}

	putGroup(t, s, store.Group{DisplayName: "admins"})
	tests := []struct {
		name string
		g    store.Group
		want error
	}{
		{"taken name, any case", store.Group{DisplayName: "ADMINS"}, store.ErrConflict},
		{"renamed onto a taken name", store.Group{ID: g.ID, DisplayName: "Admins", Version: 2}, store.ErrConflict},
		{"stale version", g, store.ErrConflict},
		{"unknown member", store.Group{DisplayName: "x", Members: []string{"ghost"}}, store.ErrNotFound},
		{"unknown id", store.Group{ID: "ghost", DisplayName: "y", Version: 1}, store.ErrNotFound},
		{"no name", store.Group{DisplayName: ""}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.PutGroup(ctx, tt.g)
				return err
			})
			wantErr(t, "PutGroup", err, tt.want)
		})
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteGroup(ctx, g.ID) })
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.DeleteGroup(ctx, g.ID) })
	wantErr(t, "DeleteGroup(deleted)", err, store.ErrNotFound)
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		gs, err := tx.GroupsOf(ctx, u[1])
		if err != nil || len(gs) != 0 {
			t.Errorf("GroupsOf(member of a deleted group) = %v, %v, want none", gs, err)
		}
		return nil
	})
}

func testMembers(t *testing.T, s store.Store) {
	u := users(t, s, 4)
	g := putGroup(t, s, store.Group{DisplayName: "g", Members: u[:2]})
	version := g.Version
	steps := []struct {
		name        string
		call        func(ctx context.Context, tx store.Tx) (added, removed []string, err error)
		wantAdded   []string
		wantRemoved []string
		wantErr     error
		want        []string
	}{
		{"set", func(ctx context.Context, tx store.Tx) ([]string, []string, error) {
			return tx.SetMembers(ctx, g.ID, []string{u[1], u[2], u[3]})
		}, u[2:], u[:1], nil, u[1:]},
		{"set again", func(ctx context.Context, tx store.Tx) ([]string, []string, error) {
			return tx.SetMembers(ctx, g.ID, []string{u[3], u[2], u[1]})
		}, nil, nil, nil, u[1:]},
		{"add", func(ctx context.Context, tx store.Tx) ([]string, []string, error) {
			a, err := tx.AddMembers(ctx, g.ID, u[0], u[1])
			return a, nil, err
		}, u[:1], nil, nil, u},
		{"add again", func(ctx context.Context, tx store.Tx) ([]string, []string, error) {
			a, err := tx.AddMembers(ctx, g.ID, u[0])
			return a, nil, err
		}, nil, nil, nil, u},
		{"remove", func(ctx context.Context, tx store.Tx) ([]string, []string, error) {
			r, err := tx.RemoveMembers(ctx, g.ID, u[3], u[2], "ghost")
			return nil, r, err
		}, nil, u[2:], nil, u[:2]},
		{"remove again", func(ctx context.Context, tx store.Tx) ([]string, []string, error) {
			r, err := tx.RemoveMembers(ctx, g.ID, u[3])
			return nil, r, err
		}, nil, nil, nil, u[:2]},
		{"add a ghost", func(ctx context.Context, tx store.Tx) ([]string, []string, error) {
			a, err := tx.AddMembers(ctx, g.ID, u[3], "ghost")
			return a, nil, err
		}, nil, nil, store.ErrNotFound, u[:2]},
		{"set on an unknown group", func(ctx context.Context, tx store.Tx) ([]string, []string, error) {
			return tx.SetMembers(ctx, "ghost", u)
		}, nil, nil, store.ErrNotFound, u[:2]},
	}
	for _, st := range steps {
		var added, removed []string
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			var err error
			added, removed, err = st.call(ctx, tx)
			return err
		})
		wantErr(t, st.name, err, st.wantErr)
		if diff := cmp.Diff(st.wantAdded, added); diff != "" {
			t.Errorf("%s: added mismatch (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.wantRemoved, removed); diff != "" {
			t.Errorf("%s: removed mismatch (-want +got):\n%s", st.name, diff)
		}
		got := getGroup(t, s, g.ID)
		if diff := cmp.Diff(st.want, got.Members); diff != "" {
			t.Errorf("%s: members mismatch (-want +got):\n%s", st.name, diff)
		}
		if len(added)+len(removed) > 0 {
			version++
		}
		if got.Version != version {
			t.Errorf("%s: Version = %d, want %d (bumped only by a change)", st.name, got.Version, version)
		}
	}
}

func testListGroups(t *testing.T, s store.Store) {
	u := users(t, s, 2)
	var all []store.Group
	for i, name := range []string{"zeta", "Alpha", "mid"} {
		all = append(all, putGroup(t, s, store.Group{DisplayName: name, ExternalID: fmt.Sprintf("ext-%d", i%2), Members: u[:i%2+1]}))
	}
	slices.SortStableFunc(all, func(a, b store.Group) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	byName := map[string]store.Group{}
	for _, g := range all {
		byName[g.DisplayName] = g
	}
	bare := func(g store.Group) store.Group { g.Members = nil; return g }
	ext0 := slices.DeleteFunc(slices.Clone(all), func(g store.Group) bool { return g.ExternalID != "ext-0" })
	tests := []struct {
		name      string
		q         store.GroupQuery
		want      []store.Group
		wantCount int
	}{
		{"all", store.GroupQuery{}, all, 3},
		{"displayName, any case", store.GroupQuery{DisplayName: "ALPHA"}, []store.Group{byName["Alpha"]}, 1},
		{"externalId", store.GroupQuery{ExternalID: "ext-0"}, ext0, 2},
		{"member", store.GroupQuery{Member: u[1]}, []store.Group{byName["Alpha"]}, 1},
		{"members excluded", store.GroupQuery{DisplayName: "mid", ExcludeMembers: true}, []store.Group{bare(byName["mid"])}, 1},
		{"page", store.GroupQuery{Offset: 1, Limit: 1}, all[1:2], 3},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.ListGroups(ctx, tt.q)
			if err != nil {
				t.Errorf("ListGroups(%s): %v", tt.name, err)
				continue
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListGroups(%s): mismatch (-want +got):\n%s", tt.name, diff)
			}
			if n, err := tx.CountGroups(ctx, tt.q); err != nil || n != tt.wantCount {
				t.Errorf("CountGroups(%s) = %d, %v, want %d", tt.name, n, err, tt.wantCount)
			}
		}
		// GroupsOf: by displayName, any case, without members.
		got, err := tx.GroupsOf(ctx, u[0])
		if err != nil {
			return err
		}
		want := []store.Group{bare(byName["Alpha"]), bare(byName["mid"]), bare(byName["zeta"])}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GroupsOf: mismatch (-want +got):\n%s", diff)
		}
		return nil
	})
}
