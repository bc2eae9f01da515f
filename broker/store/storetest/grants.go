package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

func testGrants(t *testing.T, s store.Store) {
	now := at("2030-01-01T12:00:00Z")
	grant := func(id, principal, request string, expires time.Time) store.Grant {
		return store.Grant{ID: id, RequestID: request, Principal: principal, UserID: "u-" + principal, EventID: "ev-" + id, Role: "etl",
			ServiceAccount: "etl@p.iam.gserviceaccount.com", ExpiresAt: expires,
			RequestKey: "//src\x00" + request, Project: "p", Region: "europe-west1", Cluster: "etl-" + request}
	}
	g1 := grant("sha256:aa", "alice", "r1", now.Add(10*time.Minute))
	g2 := grant("sha256:bb", "alice", "r2", now.Add(5*time.Minute))
	expired := grant("sha256:cc", "alice", "r3", now.Add(-time.Minute))
	b1 := grant("sha256:dd", "bob", "r4", now.Add(time.Hour))
	again := grant("sha256:ee", "bob", "r4", now.Add(time.Hour)) // a second token for one request
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, g := range []store.Grant{g1, g2, expired, b1, again} {
			if err := tx.PutGrant(ctx, g); err != nil {
				return err
			}
		}
		return nil
	})
	for _, bad := range []struct {
		g    store.Grant
		want error
	}{
		{g1, store.ErrConflict}, // never overwritten
		{grant("", "alice", "r", now), store.ErrInvalid},
		{grant("x", "alice", "r", time.Time{}), store.ErrInvalid},
	} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.PutGrant(ctx, bad.g) })
		wantErr(t, "PutGrant("+bad.g.ID+")", err, bad.want)
	}

	revokedAt := now.Add(time.Second)
	steps := []struct {
		id, reason  string
		wantChanged bool
		wantErr     error
	}{
		{g2.ID, "leaver", true, nil},
		{g2.ID, "job ended", false, nil}, // the first revocation stands
		{"sha256:none", "x", false, store.ErrNotFound},
	}
	for _, st := range steps {
		var changed bool
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			var err error
			changed, err = tx.RevokeGrant(ctx, st.id, st.reason, revokedAt)
			return err
		})
		wantErr(t, "RevokeGrant("+st.id+")", err, st.wantErr)
		if changed != st.wantChanged {
			t.Errorf("RevokeGrant(%s, %s) = %v, want %v", st.id, st.reason, changed, st.wantChanged)
		}
	}

	g2.RevokedAt, g2.RevokeReason = &revokedAt, "leaver"
	tests := []struct {
		name string
		list func(ctx context.Context, tx store.Tx) ([]store.Grant, error)
		want []store.Grant
	}{
		{"active for alice", func(ctx context.Context, tx store.Tx) ([]store.Grant, error) {
			return tx.ListActiveGrants(ctx, "alice", now)
		}, []store.Grant{g1}},
		{"active for everyone", func(ctx context.Context, tx store.Tx) ([]store.Grant, error) {
			return tx.ListActiveGrants(ctx, "", now)
		}, []store.Grant{g1, b1, again}},
		{"active later", func(ctx context.Context, tx store.Tx) ([]store.Grant, error) {
			return tx.ListActiveGrants(ctx, "", now.Add(30*time.Minute))
		}, []store.Grant{b1, again}},
		{"active for alice by user id", func(ctx context.Context, tx store.Tx) ([]store.Grant, error) {
			return tx.ListActiveGrantsByUser(ctx, "u-alice", now)
		}, []store.Grant{g1}},
		{"active for nobody by user id", func(ctx context.Context, tx store.Tx) ([]store.Grant, error) {
			return tx.ListActiveGrantsByUser(ctx, "", now)
		}, nil},
		{"by request", func(ctx context.Context, tx store.Tx) ([]store.Grant, error) {
			return tx.GrantsByRequest(ctx, "r4")
		}, []store.Grant{b1, again}},
		{"revoked one", func(ctx context.Context, tx store.Tx) ([]store.Grant, error) {
			g, err := tx.GetGrant(ctx, g2.ID)
			return []store.Grant{g}, err
		}, []store.Grant{g2}},
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range tests {
			got, err := tt.list(ctx, tx)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(tt.want, got, ignoreStamps); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
		_, err := tx.GetGrant(ctx, "sha256:none")
		wantErr(t, "GetGrant(unknown)", err, store.ErrNotFound)
		return nil
	})
}
