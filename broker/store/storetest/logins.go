package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/store"
)

func loginFlow(id string, expires time.Time) store.LoginFlow {
	return store.LoginFlow{
		ID: id, IdP: "dev-saml", Protocol: "saml", Client: "loopback",
		RedirectURI: "http://127.0.0.1:53100/callback", ClientState: "cs-" + id, CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		SAMLRequestID: "id-" + id, Status: store.LoginPending, RemoteIP: "127.0.0.1", ExpiresAt: expires,
	}
}

func testLogins(t *testing.T, s store.Store) {
	now := at("2030-01-01T12:00:00Z")
	f := loginFlow("f1", now.Add(10*time.Minute))
	f.Nonce, f.PKCEVerifier = "n-1", "v-1"
	dev := loginFlow("f2", now.Add(10*time.Minute))
	dev.Client, dev.DeviceCodeHash, dev.UserCodeHash = "device", "dc-hash", "uc-hash"
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, x := range []store.LoginFlow{f, dev} {
			if err := tx.PutLoginFlow(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	dupCode := loginFlow("f3", now)
	dupCode.UserCodeHash = "uc-hash"
	for _, bad := range []struct {
		name string
		f    store.LoginFlow
		want error
	}{
		{"same id", f, store.ErrConflict},
		{"same user code", dupCode, store.ErrConflict},
		{"no id", loginFlow("", now), store.ErrInvalid},
		{"no expiry", loginFlow("x", time.Time{}), store.ErrInvalid},
		{"bad status", func() store.LoginFlow { x := loginFlow("y", now); x.Status = "weird"; return x }(), store.ErrInvalid},
	} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.PutLoginFlow(ctx, bad.f) })
		wantErr(t, "PutLoginFlow("+bad.name+")", err, bad.want)
	}
	ignore := cmpopts.IgnoreFields(store.LoginFlow{}, "CreatedAt")
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetLoginFlow(ctx, "f1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(f, got, ignore); diff != "" {
			t.Errorf("GetLoginFlow(f1) (-want +got):\n%s", diff)
		}
		got, err = tx.FindLoginFlow(ctx, store.LoginByUserCode, "uc-hash")
		if err != nil || got.ID != "f2" {
			t.Errorf("FindLoginFlow(user code) = %v, %v, want f2", got.ID, err)
		}
		_, err = tx.FindLoginFlow(ctx, store.LoginByCode, "")
		wantErr(t, "FindLoginFlow(empty)", err, store.ErrNotFound)
		_, err = tx.FindLoginFlow(ctx, "password", "x")
		wantErr(t, "FindLoginFlow(unknown key)", err, store.ErrInvalid)
		return nil
	})

	// pending -> authenticated once; a second step from pending conflicts.
	next := f
	next.Status, next.PKCEVerifier, next.CodeHash = store.LoginAuthenticated, "", "code-hash"
	next.UserID, next.Principal, next.Email, next.Subject = "u1", "alice@example.com", "alice@example.com", "sub-1"
	next.EvidenceFingerprint, next.AuthenticatedAt, next.PolledAt = "sha256:aa", now, now
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateLoginFlow(ctx, next, store.LoginPending) })
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateLoginFlow(ctx, next, store.LoginPending)
	})
	wantErr(t, "UpdateLoginFlow(again from pending)", err, store.ErrConflict)
	err = s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateLoginFlow(ctx, loginFlow("none", now), store.LoginPending)
	})
	wantErr(t, "UpdateLoginFlow(unknown)", err, store.ErrNotFound)
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.FindLoginFlow(ctx, store.LoginByCode, "code-hash")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(next, got, ignore); diff != "" {
			t.Errorf("FindLoginFlow(code) after update (-want +got):\n%s", diff)
		}
		return nil
	})

	// The replay cache: first use only, until the record expires.
	steps := []struct {
		key       string
		now       time.Time
		wantFirst bool
	}{
		{"saml:a1", now, true},
		{"saml:a1", now.Add(time.Minute), false},
		{"saml:a2", now, true},
		{"saml:a1", now.Add(6 * time.Minute), true}, // expired at +5m: new again
		{"saml:a1", now.Add(7 * time.Minute), false},
	}
	for _, st := range steps {
		var first bool
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			first, err = tx.ConsumeOnce(ctx, st.key, st.now, st.now.Add(5*time.Minute))
			return err
		})
		if first != st.wantFirst {
			t.Errorf("ConsumeOnce(%s, %s) = %v, want %v", st.key, st.now.Format(time.TimeOnly), first, st.wantFirst)
		}
	}
	err = s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ConsumeOnce(ctx, "", now, now)
		return err
	})
	wantErr(t, "ConsumeOnce(empty)", err, store.ErrInvalid)

	var n int64
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.PruneLogins(ctx, now.Add(11*time.Minute))
		return err
	})
	// f1, f2, saml:a2 (expired at +5m); saml:a1 lives until +12m.
	if n != 3 {
		t.Errorf("PruneLogins = %d, want 3", n)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetLoginFlow(ctx, "f1")
		wantErr(t, "GetLoginFlow(pruned)", err, store.ErrNotFound)
		return nil
	})
}

// testConcurrentConsumeOnce: one assertion id posted by many at once is
// accepted once.
func testConcurrentConsumeOnce(t *testing.T, s store.Store) {
	now := time.Now()
	var firsts atomic.Int32
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			return s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				first, err := tx.ConsumeOnce(ctx, "saml:same", now, now.Add(time.Minute))
				if err != nil {
					return fmt.Errorf("worker %d: %w", w, err)
				}
				if first {
					firsts.Add(1)
				}
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := firsts.Load(); n != 1 {
		t.Errorf("ConsumeOnce by %d workers: %d saw first, want 1", workers, n)
	}
}
