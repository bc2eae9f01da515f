package postgres_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// TestAttributesDocNUL: a text column holds the JSON escape \u0000, jsonb
// cannot. Such a user (written before the SCIM endpoint refused NUL) is
// still written, read and found by the columns' filters; it only matches
// no filter on its JSON attributes, and the other users' filters work.
func TestAttributesDocNUL(t *testing.T) {
	s := storetest.Postgres(t)
	ctx := context.Background()
	var legacy, clean store.User
	err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if legacy, err = tx.PutUser(ctx, store.User{UserName: "legacy", Active: true, Attributes: json.RawMessage(`{"title":"a\u0000b"}`)}); err != nil {
			return err
		}
		legacy.Active = false // a leaver can still be deactivated
		if legacy, err = tx.PutUser(ctx, legacy); err != nil {
			return err
		}
		clean, err = tx.PutUser(ctx, store.User{UserName: "clean", Active: true, Attributes: json.RawMessage(`{"title":"ab"}`)})
		return err
	})
	if err != nil {
		t.Fatalf("PutUser with a NUL escape in attributes: %v", err)
	}
	err = s.View(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, tt := range []struct {
			f    store.Filter
			want []string
		}{
			{store.Compare{Path: []string{"title"}, Op: store.Co, Value: "a"}, []string{clean.ID}},
			{store.Compare{Path: []string{"active"}, Op: store.Eq, Value: false}, []string{legacy.ID}},
		} {
			got, err := tx.ListUsers(ctx, store.UserQuery{Filter: tt.f})
			if err != nil {
				return err
			}
			var ids []string
			for _, u := range got {
				ids = append(ids, u.ID)
			}
			if len(ids) != len(tt.want) || len(ids) > 0 && ids[0] != tt.want[0] {
				t.Errorf("ListUsers(%v) = %v, want %v", tt.f, ids, tt.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
