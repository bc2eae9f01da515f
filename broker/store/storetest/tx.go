package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

var errBoom = errors.New("boom")

// writeEverything makes one change of every kind.
func writeEverything(ctx context.Context, tx store.Tx) error {
	if _, err := tx.MarkProcessed(ctx, "k", "", time.Now()); err != nil {
		return err
	}
	if _, err := tx.Enqueue(ctx, audited("c1")); err != nil {
		return err
	}
	u, err := tx.PutUser(ctx, alice())
	if err != nil {
		return err
	}
	if _, err := tx.PutGroup(ctx, store.Group{DisplayName: "g", Members: []string{u.ID}}); err != nil {
		return err
	}
	if _, err := tx.RecordDecision(ctx, store.Decision{RequestKey: "k", RequestID: "r", Principal: "p", Outcome: store.OutcomeDenied}); err != nil {
		return err
	}
	if err := tx.PutJob(ctx, job("r", "p", time.Now())); err != nil {
		return err
	}
	if err := tx.PutGrant(ctx, store.Grant{ID: "g", Principal: "p", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		return err
	}
	if err := tx.PutCluster(ctx, cluster("r", "p", time.Now())); err != nil {
		return err
	}
	return tx.PutBinding(ctx, store.Binding{ID: "iis-b", RequestID: "b", Principal: "p", Member: "user:p@example.com",
		IAMRole: "roles/dataproc.viewer", ExpiresAt: time.Now().Add(time.Hour), State: store.BindingPending})
}

// wantEmpty checks that nothing writeEverything writes is there.
func wantEmpty(t *testing.T, s store.Store) {
	t.Helper()
	if ms, err := s.ClaimOutbox(context.Background(), "relay", 10, time.Hour); err != nil || len(ms) != 0 {
		t.Errorf("ClaimOutbox = %v, %v, want no message", ms, err)
	}
	if n, _, err := s.UnchainedAudit(context.Background()); err != nil || n != 0 {
		t.Errorf("UnchainedAudit = %d, %v, want no audit record", n, err)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		if seq, _, err := tx.ChainHead(ctx); err != nil || seq != 0 {
			t.Errorf("ChainHead = %d, %v, want 0", seq, err)
		}
		if n, err := tx.CountUsers(ctx, store.UserQuery{}); err != nil || n != 0 {
			t.Errorf("CountUsers = %d, %v, want 0", n, err)
		}
		if n, err := tx.CountGroups(ctx, store.GroupQuery{}); err != nil || n != 0 {
			t.Errorf("CountGroups = %d, %v, want 0", n, err)
		}
		if _, err := tx.GetDecision(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetDecision = %v, want ErrNotFound", err)
		}
		if _, err := tx.GetJob(ctx, "r"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetJob = %v, want ErrNotFound", err)
		}
		if _, err := tx.GetGrant(ctx, "g"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetGrant = %v, want ErrNotFound", err)
		}
		if _, err := tx.GetCluster(ctx, "r"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetCluster = %v, want ErrNotFound", err)
		}
		if _, err := tx.GetBinding(ctx, "iis-b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetBinding = %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if first, err := tx.MarkProcessed(ctx, "k", "", time.Now()); err != nil || !first {
			t.Errorf("MarkProcessed = %v, %v, want true", first, err)
		}
		return nil
	})
}

func testRollback(t *testing.T, s store.Store) {
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := writeEverything(ctx, tx); err != nil {
			t.Fatalf("writeEverything: %v", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("Update(fn returning errBoom) = %v, want errBoom", err)
	}
	wantEmpty(t, s)
}

func testRollbackOnPanic(t *testing.T, s store.Store) {
	func() {
		defer func() {
			if r := recover(); r != errBoom {
				t.Errorf("recover() = %v, want errBoom: Update must let the panic through", r)
			}
		}()
		_ = s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			if err := writeEverything(ctx, tx); err != nil {
				t.Fatalf("writeEverything: %v", err)
			}
			panic(errBoom)
		})
	}()
	wantEmpty(t, s)
}

func testViewReadOnly(t *testing.T, s store.Store) {
	err := s.View(context.Background(), writeEverything)
	wantErr(t, "View(write)", err, store.ErrInvalid)
	writes := map[string]func(ctx context.Context, tx store.Tx) error{
		"PruneProcessed": func(ctx context.Context, tx store.Tx) error { _, err := tx.PruneProcessed(ctx, time.Now()); return err },
		"DeleteUser":     func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, "u") },
		"SetUserLocked": func(ctx context.Context, tx store.Tx) error {
			_, err := tx.SetUserLocked(ctx, "u", true, "")
			return err
		},
		"AddMembers":  func(ctx context.Context, tx store.Tx) error { _, err := tx.AddMembers(ctx, "g", "u"); return err },
		"DeleteGroup": func(ctx context.Context, tx store.Tx) error { return tx.DeleteGroup(ctx, "g") },
		"UpdateJobState": func(ctx context.Context, tx store.Tx) error {
			_, err := tx.UpdateJobState(ctx, "r", "X", false, time.Now(), "")
			return err
		},
		"RevokeGrant": func(ctx context.Context, tx store.Tx) error {
			_, err := tx.RevokeGrant(ctx, "g", "", time.Now())
			return err
		},
	}
	for name, fn := range writes {
		wantErr(t, "View("+name+")", s.View(context.Background(), fn), store.ErrInvalid)
	}
	wantEmpty(t, s)
}

// testUsableAfterConflict checks that an expected conflict does not poison
// the transaction (PostgreSQL aborts a transaction on any failed statement).
func testUsableAfterConflict(t *testing.T, s store.Store) {
	putUser(t, s, alice())
	enqueue(t, s, msg("audit", "e1"))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.PutUser(ctx, alice())
		wantErr(t, "PutUser(duplicate)", err, store.ErrConflict)
		_, err = tx.Enqueue(ctx, msg("audit", "e1"))
		wantErr(t, "Enqueue(duplicate)", err, store.ErrConflict)
		_, err = tx.Enqueue(ctx, store.OutboxMessage{Topic: "audit", EventID: "e2", Chain: true, Seq: 7, Hash: "h"})
		wantErr(t, "Enqueue(seq set)", err, store.ErrInvalid)
		_, err = tx.AddMembers(ctx, "ghost", "u")
		wantErr(t, "AddMembers(unknown group)", err, store.ErrNotFound)
		if _, err := tx.PutUser(ctx, store.User{UserName: "bob"}); err != nil {
			return err
		}
		_, err = tx.Enqueue(ctx, audited("c1"))
		return err
	})
	sequence(t, s)
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetUserByName(ctx, "bob"); err != nil {
			t.Errorf("GetUserByName(bob) after a committed transaction with conflicts: %v", err)
		}
		if seq, _, err := tx.ChainHead(ctx); err != nil || seq != 1 {
			t.Errorf("ChainHead = %d, %v, want 1", seq, err)
		}
		return nil
	})
}
