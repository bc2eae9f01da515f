package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

func testIdentityLinks(t *testing.T, s store.Store) {
	var alice, bob store.User
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if alice, err = tx.PutUser(ctx, store.User{UserName: "alice", Active: true, ExternalID: "00u-alice"}); err != nil {
			return err
		}
		bob, err = tx.PutUser(ctx, store.User{UserName: "bob", Active: true, ExternalID: "shared"})
		if err != nil {
			return err
		}
		if _, err = tx.PutUser(ctx, store.User{UserName: "bob2", Active: true, ExternalID: "shared"}); err != nil {
			return err
		}
		for _, l := range [][3]string{
			{"https://a.example", "sub-1", alice.ID},
			{"https://b.example", "sub-1", bob.ID}, // the same subject at another issuer is someone else
			{"https://a.example", "sub-2", bob.ID},
			{"https://a.example", "sub-2", alice.ID}, // relinked
		} {
			if err := tx.LinkIdentity(ctx, l[0], l[1], l[2]); err != nil {
				return err
			}
		}
		return nil
	})
	for _, bad := range []struct {
		iss, sub, user string
		want           error
	}{{"", "s", alice.ID, store.ErrInvalid}, {"https://a.example", "", alice.ID, store.ErrInvalid}, {"https://a.example", "s", "no-such-user", store.ErrNotFound}} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.LinkIdentity(ctx, bad.iss, bad.sub, bad.user) })
		wantErr(t, "LinkIdentity("+bad.iss+", "+bad.sub+")", err, bad.want)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range []struct{ iss, sub, want string }{
			{"https://a.example", "sub-1", alice.ID},
			{"https://b.example", "sub-1", bob.ID},
			{"https://a.example", "sub-2", alice.ID},
		} {
			u, err := tx.FindUserByIdentity(ctx, c.iss, c.sub)
			if err != nil || u.ID != c.want {
				t.Errorf("FindUserByIdentity(%s, %s) = %s, %v; want %s", c.iss, c.sub, u.ID, err, c.want)
			}
		}
		_, err := tx.FindUserByIdentity(ctx, "https://c.example", "sub-1")
		wantErr(t, "FindUserByIdentity(unknown)", err, store.ErrNotFound)
		links, err := tx.IdentityLinksOf(ctx, alice.ID)
		if err != nil {
			return err
		}
		var got [][2]string
		for _, l := range links {
			got = append(got, [2]string{l.Issuer, l.Subject})
		}
		if diff := cmp.Diff([][2]string{{"https://a.example", "sub-1"}, {"https://a.example", "sub-2"}}, got); diff != "" {
			t.Errorf("IdentityLinksOf(alice) mismatch (-want +got):\n%s", diff)
		}
		if u, err := tx.FindUserByExternalID(ctx, "00u-alice"); err != nil || u.ID != alice.ID {
			t.Errorf("FindUserByExternalID(00u-alice) = %s, %v; want alice", u.ID, err)
		}
		_, err = tx.FindUserByExternalID(ctx, "shared")
		wantErr(t, "FindUserByExternalID(shared)", err, store.ErrConflict)
		_, err = tx.FindUserByExternalID(ctx, "")
		wantErr(t, "FindUserByExternalID(empty)", err, store.ErrNotFound)
		return nil
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if ok, err := tx.UnlinkIdentity(ctx, "https://b.example", "sub-1"); err != nil || !ok {
			t.Errorf("UnlinkIdentity(b, sub-1) = %v, %v; want true", ok, err)
		}
		if ok, err := tx.UnlinkIdentity(ctx, "https://b.example", "sub-1"); err != nil || ok {
			t.Errorf("UnlinkIdentity(b, sub-1) again = %v, %v; want false", ok, err)
		}
		return tx.DeleteUser(ctx, alice.ID) // its links go with it
	})
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.FindUserByIdentity(ctx, "https://a.example", "sub-1")
		wantErr(t, "FindUserByIdentity(deleted user's link)", err, store.ErrNotFound)
		return nil
	})
}

// testPrimaryEmailOnly: a user is found by a primary address, or by the
// only address they have, never by a secondary one.
func testPrimaryEmailOnly(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, u := range []store.User{
			{UserName: "carol", Active: true, Emails: []store.Email{{Value: "carol@example.com", Primary: true}, {Value: "alias@example.com"}}},
			{UserName: "dan", Active: true, Emails: []store.Email{{Value: "dan@example.com"}}},
		} {
			if _, err := tx.PutUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for addr, want := range map[string]string{"Carol@example.com": "carol", "dan@example.com": "dan"} {
			if u, err := tx.FindUserByEmail(ctx, addr); err != nil || u.UserName != want {
				t.Errorf("FindUserByEmail(%s) = %s, %v; want %s", addr, u.UserName, err, want)
			}
		}
		_, err := tx.FindUserByEmail(ctx, "alias@example.com")
		wantErr(t, "FindUserByEmail(secondary address)", err, store.ErrNotFound)
		return nil
	})
}

func testEffectClaims(t *testing.T, s store.Store) {
	t0 := at("2030-01-01T00:00:00Z")
	claim := func(key, holder string, now time.Time) bool {
		var ok bool
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			ok, err = tx.ClaimEffect(ctx, key, holder, now, time.Minute)
			return err
		})
		return ok
	}
	steps := []struct {
		key, holder string
		at          time.Time
		want        bool
	}{
		{"mint\x00k1", "a", t0, true},
		{"mint\x00k1", "b", t0.Add(time.Second), false},     // held by a
		{"mint\x00k1", "a", t0.Add(30 * time.Second), true}, // a renews
		{"mint\x00k2", "b", t0, true},                       // another effect
		{"mint\x00k1", "b", t0.Add(89 * time.Second), false},
		{"mint\x00k1", "b", t0.Add(91 * time.Second), true}, // a's renewed lease ran out
	}
	for _, st := range steps {
		if got := claim(st.key, st.holder, st.at); got != st.want {
			t.Errorf("ClaimEffect(%q, %s, +%v) = %v, want %v", st.key, st.holder, st.at.Sub(t0), got, st.want)
		}
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.ReleaseEffect(ctx, "mint\x00k1", "a"); err != nil { // not a's any more: no-op
			return err
		}
		return tx.ReleaseEffect(ctx, "mint\x00k2", "b")
	})
	if !claim("mint\x00k2", "c", t0.Add(time.Second)) {
		t.Error("ClaimEffect after release = false, want true")
	}
	if claim("mint\x00k1", "c", t0.Add(92*time.Second)) {
		t.Error("ClaimEffect of a key released by a non-holder = true, want false (b holds it)")
	}
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ClaimEffect(ctx, "", "a", t0, time.Minute)
		return err
	})
	wantErr(t, "ClaimEffect(empty key)", err, store.ErrInvalid)
}
