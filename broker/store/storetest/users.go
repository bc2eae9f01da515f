package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

// alice is a user as SCIM would provision her.
func alice() store.User {
	return store.User{
		UserName:    "Alice@Example.com",
		ExternalID:  "00u1",
		DisplayName: "Alice Liddell",
		Emails: []store.Email{
			{Value: "Alice@Example.com", Type: "work", Primary: true},
			{Value: "alice@home.example", Type: "home"},
		},
		Active:     true,
		Attributes: json.RawMessage(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Alice@Example.com","name":{"givenName":"Alice"}}`),
	}
}

// putUser stores u and returns it as stored.
func putUser(t testing.TB, s store.Store, u store.User) store.User {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.PutUser(ctx, u)
		return err
	})
	return u
}

// getUser reads a user by id.
func getUser(t testing.TB, s store.Store, id string) (store.User, error) {
	t.Helper()
	var u store.User
	err := s.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, id)
		return err
	})
	return u, err
}

func testUserCRUD(t *testing.T, s store.Store) {
	before := time.Now()
	u := putUser(t, s, alice())
	if u.ID == "" || u.Version != 1 {
		t.Fatalf("PutUser(new) = ID %q, Version %d, want an id and version 1", u.ID, u.Version)
	}
	within(t, "CreatedAt", u.CreatedAt, before, time.Now())
	if !u.UpdatedAt.Equal(u.CreatedAt) {
		t.Errorf("PutUser(new) UpdatedAt = %v, want CreatedAt %v", u.UpdatedAt, u.CreatedAt)
	}
	got, err := getUser(t, s, u.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("GetUser: mismatch (-put +got):\n%s", diff)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, name := range []string{"alice@example.com", "ALICE@EXAMPLE.COM"} {
			got, err := tx.GetUserByName(ctx, name)
			if err != nil || got.ID != u.ID {
				t.Errorf("GetUserByName(%q) = %q, %v, want %q", name, got.ID, err, u.ID)
			}
		}
		_, err := tx.GetUserByName(ctx, "bob@example.com")
		wantErr(t, "GetUserByName(unknown)", err, store.ErrNotFound)
		_, err = tx.GetUser(ctx, "no-such-id")
		wantErr(t, "GetUser(unknown)", err, store.ErrNotFound)
		return nil
	})

	// A chosen id is kept; a taken userName (any case) or id is a conflict.
	bob := store.User{ID: "bob-1", UserName: "bob@example.com", Active: true}
	if got := putUser(t, s, bob); got.ID != "bob-1" || got.Emails != nil || got.Attributes != nil {
		t.Errorf("PutUser(bob) = %+v, want id bob-1, no e-mails, no attributes", got)
	}
	for _, dup := range []store.User{
		{UserName: "ALICE@example.COM"},
		{ID: "bob-1", UserName: "robert@example.com"},
		{UserName: " "},
	} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, err := tx.PutUser(ctx, dup)
			return err
		})
		want := store.ErrConflict
		if dup.UserName == " " {
			want = store.ErrInvalid
		}
		wantErr(t, "PutUser("+dup.UserName+")", err, want)
	}
}

func testUserVersion(t *testing.T, s store.Store) {
	u := putUser(t, s, alice())
	putUser(t, s, store.User{UserName: "bob@example.com"})

	u.DisplayName, u.Emails = "Alice L.", nil
	u2 := putUser(t, s, u)
	if u2.Version != 2 || !u2.CreatedAt.Equal(u.CreatedAt) || u2.UpdatedAt.Before(u.UpdatedAt) {
		t.Errorf("PutUser(update) = Version %d, CreatedAt %v, UpdatedAt %v; want 2, %v, not before %v",
			u2.Version, u2.CreatedAt, u2.UpdatedAt, u.CreatedAt, u.UpdatedAt)
	}
	if got, _ := getUser(t, s, u.ID); got.DisplayName != "Alice L." || got.Emails != nil {
		t.Errorf("GetUser after update = %q, %v, want the new name and no e-mails", got.DisplayName, got.Emails)
	}

	stale := u // Version 1
	renamed := u2
	renamed.UserName = "BOB@example.com"
	missing := store.User{ID: "nobody", UserName: "nobody", Version: 1}
	noID := store.User{UserName: "x", Version: 1}
	tests := []struct {
		name string
		u    store.User
		want error
	}{
		{"stale version", stale, store.ErrConflict},
		{"userName of another user", renamed, store.ErrConflict},
		{"unknown id", missing, store.ErrNotFound},
		{"version without id", noID, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.PutUser(ctx, tt.u)
				return err
			})
			wantErr(t, "PutUser", err, tt.want)
		})
	}
	// Changing only the case of one's own userName is fine.
	u2.UserName = "ALICE@EXAMPLE.COM"
	if got := putUser(t, s, u2); got.Version != 3 {
		t.Errorf("PutUser(recased) Version = %d, want 3", got.Version)
	}
}

func testUserLock(t *testing.T, s store.Store) {
	u := putUser(t, s, alice())
	steps := []struct {
		locked      bool
		reason      string
		wantChanged bool
		wantReason  string
	}{
		{true, "deactivated", true, "deactivated"},
		{true, "deleted", false, "deactivated"}, // a repeat changes nothing, not even the reason
		{false, "reactivated", true, ""},
		{false, "reactivated", false, ""},
		{true, "deleted", true, "deleted"},
	}
	for _, st := range steps {
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			changed, err := tx.SetUserLocked(ctx, u.ID, st.locked, st.reason)
			if err != nil {
				return err
			}
			if changed != st.wantChanged {
				t.Errorf("SetUserLocked(%v, %q) = %v, want %v", st.locked, st.reason, changed, st.wantChanged)
			}
			return nil
		})
		got, err := getUser(t, s, u.ID)
		if err != nil || got.Locked != st.locked || got.LockReason != st.wantReason || got.Version != u.Version {
			t.Errorf("after SetUserLocked(%v, %q): Locked %v, LockReason %q, Version %d, %v; want %v, %q, %d",
				st.locked, st.reason, got.Locked, got.LockReason, got.Version, err, st.locked, st.wantReason, u.Version)
		}
	}
	// A SCIM write never unlocks: PutUser keeps the stored lock.
	u.Locked, u.LockReason, u.Active = false, "", true
	if got := putUser(t, s, u); !got.Locked || got.LockReason != "deleted" {
		t.Errorf("PutUser(Locked: false) on a locked user = Locked %v, %q; want it still locked", got.Locked, got.LockReason)
	}
	// On insert, the lock is taken from the user.
	if got := putUser(t, s, store.User{UserName: "carol", Locked: true, LockReason: "provisioned inactive"}); !got.Locked {
		t.Errorf("PutUser(new, Locked) = unlocked, want locked")
	}
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.SetUserLocked(ctx, "nobody", true, "x")
		return err
	})
	wantErr(t, "SetUserLocked(unknown)", err, store.ErrNotFound)
}
