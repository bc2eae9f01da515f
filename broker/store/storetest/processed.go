package storetest

import (
	"context"
	"testing"

	"github.com/dataproc-iis/iis/broker/store"
)

func testProcessed(t *testing.T, s store.Store) {
	now := at("2030-01-02T03:04:05.123456Z")
	steps := []struct {
		key       string
		wantFirst bool
		wantErr   error
	}{
		{store.EventKey("//pipelines/a", "1"), true, nil},
		{store.EventKey("//pipelines/a", "1"), false, nil},
		{store.EventKey("//pipelines/b", "1"), true, nil}, // same id, other source
		{"pubsub-message-42", true, nil},
		{"", false, store.ErrInvalid},
	}
	for _, st := range steps {
		var first bool
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			var err error
			first, err = tx.MarkProcessed(ctx, st.key, "", now)
			return err
		})
		wantErr(t, "MarkProcessed("+st.key+")", err, st.wantErr)
		if first != st.wantFirst {
			t.Errorf("MarkProcessed(%q) = %v, want %v", st.key, first, st.wantFirst)
		}
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for key, want := range map[string]bool{
			store.EventKey("//pipelines/a", "1"): true,
			"pubsub-message-42":                  true,
			store.EventKey("//pipelines/a", "2"): false,
			"//pipelines/a":                      false,
		} {
			got, err := tx.IsProcessed(ctx, key)
			if err != nil || got != want {
				t.Errorf("IsProcessed(%q) = %v, %v, want %v", key, got, err, want)
			}
		}
		return nil
	})
}

func testProcessedPrune(t *testing.T, s store.Store) {
	old, recent := at("2030-01-01T00:00:00Z"), at("2030-01-08T00:00:00Z")
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, k := range []string{"a", "b"} {
			if _, err := tx.MarkProcessed(ctx, k, "", old); err != nil {
				return err
			}
		}
		_, err := tx.MarkProcessed(ctx, "c", "", recent)
		return err
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		n, err := tx.PruneProcessed(ctx, at("2030-01-07T00:00:00Z"))
		if err != nil {
			return err
		}
		if n != 2 {
			t.Errorf("PruneProcessed = %d, want 2", n)
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if seen, err := tx.IsProcessed(ctx, "a"); err != nil || seen {
			t.Errorf("IsProcessed(a) after prune = %v, %v, want false", seen, err)
		}
		for k, want := range map[string]bool{"a": true, "c": false} {
			first, err := tx.MarkProcessed(ctx, k, "", recent)
			if err != nil {
				return err
			}
			if first != want {
				t.Errorf("after prune, MarkProcessed(%q) = %v, want %v", k, first, want)
			}
		}
		return nil
	})
}

func testProcessedDigest(t *testing.T, s store.Store) {
	now := at("2030-01-02T03:04:05Z")
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.MarkProcessed(ctx, "k", "sha256:first", now); err != nil {
			return err
		}
		first, err := tx.MarkProcessed(ctx, "k", "sha256:second", now)
		if err != nil || first {
			t.Errorf("second MarkProcessed(k) = %v, %v, want false", first, err)
		}
		_, err = tx.MarkProcessed(ctx, "no-digest", "", now)
		return err
	})
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range []struct {
			key, want string
			seen      bool
		}{{"k", "sha256:first", true}, {"no-digest", "", true}, {"unknown", "", false}} {
			got, seen, err := tx.ProcessedDigest(ctx, c.key)
			if err != nil || got != c.want || seen != c.seen {
				t.Errorf("ProcessedDigest(%q) = %q, %v, %v; want %q, %v", c.key, got, seen, err, c.want, c.seen)
			}
		}
		return nil
	})
}
