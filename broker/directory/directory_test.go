package directory_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

const file = `
users:
  - user_name: alice@example.com
    emails: [a.smith@example.com, alice.home@example.net]
    groups: [data-eng, analysts]
  - user_name: bob@example.com
    active: false
    groups: [data-eng]
  - user_name: etl-bot@proj.iam.gserviceaccount.com
    groups: [pipelines]
`

func load(t *testing.T, st store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dir.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := directory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directory.Import(context.Background(), st, f, directory.ImportOptions{}); err != nil {
		t.Fatalf("Import() = %v", err)
	}
}

func TestLookup(t *testing.T) {
	st := storetest.SQLite(t)
	load(t, st)
	load(t, st) // importing twice is idempotent
	d := directory.Store{St: st}
	ctx := context.Background()
	tests := []struct {
		id, email string
		want      decision.Entry
		err       error
	}{
		{"alice@example.com", "", decision.Entry{Active: true, Groups: []string{"analysts", "data-eng"}}, nil},
		{"ALICE@example.com", "", decision.Entry{Active: true, Groups: []string{"analysts", "data-eng"}}, nil},
		{"sub-123", "a.smith@example.com", decision.Entry{Active: true, Groups: []string{"analysts", "data-eng"}}, nil},
		{"sub-9", "alice@example.com", decision.Entry{Active: true, Groups: []string{"analysts", "data-eng"}}, nil}, // her user name
		{"sub-9", "alice.home@example.net", decision.Entry{}, decision.ErrNotFound},                                 // a secondary address identifies nobody
		{"bob@example.com", "", decision.Entry{Active: false, Groups: []string{"data-eng"}}, nil},
		{"mallory@example.com", "mallory@example.com", decision.Entry{}, decision.ErrNotFound},
	}
	for _, tt := range tests {
		got, err := d.Lookup(ctx, pr(tt.id, tt.email))
		if !errors.Is(err, tt.err) {
			t.Errorf("Lookup(%q, %q) error = %v, want %v", tt.id, tt.email, err, tt.err)
			continue
		}
		got.UserID, got.UserName, got.Email, got.LinkedBy = "", "", "", ""
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Lookup(%q, %q) mismatch (-want +got):\n%s", tt.id, tt.email, diff)
		}
	}
}

func TestLookupRefusesSharedEmail(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, n := range []string{"old-alice", "new-alice"} {
			if _, err := tx.PutUser(ctx, store.User{UserName: n, Active: true, Emails: []store.Email{{Value: "alice@example.com"}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = directory.Store{St: st}.Lookup(ctx, pr("sub-1", "alice@example.com"))
	if fault.ReasonOf(err) != "principal_ambiguous" || !fault.IsPermanent(err) {
		t.Errorf("Lookup(shared e-mail) = %v, want permanent principal_ambiguous", err)
	}
}

func TestLoadRejectsUnknownFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir.yaml")
	os.WriteFile(path, []byte("users:\n  - user_name: a\n    admin: true\n"), 0o600)
	if _, err := directory.Load(path); err == nil {
		t.Error("Load(unknown field) = nil error, want error")
	}
}

// Import writes each user's name into the SCIM resource, next to what the
// resource held, and keeps its e-mail addresses those of the file.
func TestImportNames(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.PutUser(ctx, store.User{UserName: "alice@example.com", Active: true,
			Attributes: []byte(`{"title":"Engineer","emails":[{"value":"old@example.com"}],"name":{"givenName":"Old"}}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f := directory.File{Users: []directory.FileUser{
		{UserName: "alice@example.com", GivenName: "Alice", FamilyName: "Martin", Emails: []string{"alice@example.com"}},
		{UserName: "bob@example.com", GivenName: "Bob", FamilyName: "Taylor", Formatted: "Dr Bob Taylor"},
		{UserName: "carol@example.com"},
	}}
	if _, err := directory.Import(ctx, st, f, directory.ImportOptions{}); err != nil {
		t.Fatalf("Import: %v", err)
	}
	want := map[string]string{
		"alice@example.com": `{"active":true,"emails":[{"primary":true,"type":"work","value":"alice@example.com"}],"name":{"familyName":"Martin","formatted":"Alice Martin","givenName":"Alice"},"title":"Engineer","userName":"alice@example.com"}`,
		"bob@example.com":   `{"active":true,"name":{"familyName":"Taylor","formatted":"Dr Bob Taylor","givenName":"Bob"},"userName":"bob@example.com"}`,
		"carol@example.com": `{"active":true,"userName":"carol@example.com"}`,
	}
	err = st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		for name, attrs := range want {
			u, err := tx.GetUserByName(ctx, name)
			if err != nil {
				return err
			}
			if string(u.Attributes) != attrs {
				t.Errorf("%s: attributes %s, want %s", name, u.Attributes, attrs)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
