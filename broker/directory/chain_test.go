package directory_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

const owners = `
users:
  - {user_name: boss@example.com}
  - {user_name: alice@example.com, manager: boss@example.com}
  - {user_name: bot1@example.com, user_type: workload, manager: alice@example.com}
  - {user_name: bot2@example.com, user_type: workload, manager: bot1@example.com}
  - {user_name: loop1@example.com, user_type: workload, manager: loop2@example.com}
  - {user_name: loop2@example.com, user_type: workload, manager: loop1@example.com}
  - {user_name: untyped@example.com, manager: alice@example.com}
`

// TestChain: a workload's chain follows its owners while they are
// workloads; a person's chain is the person (their manager may approve).
func TestChain(t *testing.T) {
	st := storetest.SQLite(t)
	path := filepath.Join(t.TempDir(), "dir.yaml")
	if err := os.WriteFile(path, []byte(owners), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := directory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 { // a second import changes nothing
		if _, err := directory.Import(ctx, st, f, directory.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		user     string
		workload bool // the token's principal type
		want     string
	}{
		{"alice@example.com", false, "alice"},
		{"bot1@example.com", false, "bot1 alice"}, // the directory says it is a workload
		{"bot2@example.com", true, "bot2 bot1 alice"},
		{"loop1@example.com", true, "loop1 loop2"},
		{"untyped@example.com", false, "untyped"},
		{"untyped@example.com", true, "untyped alice"}, // the token says it is a workload
	}
	err = st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		name := map[string]string{}
		users, err := tx.ListUsers(ctx, store.UserQuery{})
		if err != nil {
			return err
		}
		for _, u := range users {
			name[u.ID] = strings.TrimSuffix(u.UserName, "@example.com")
		}
		for _, tt := range tests {
			u, err := tx.GetUserByName(ctx, tt.user)
			if err != nil {
				return err
			}
			ids, err := directory.Chain(ctx, tx, u, tt.workload)
			if err != nil {
				return err
			}
			var got []string
			for _, id := range ids {
				got = append(got, name[id])
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("Chain(%s, workload %v) = %s, want %s", tt.user, tt.workload, g, tt.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestImportUnknownManager(t *testing.T) {
	st := storetest.SQLite(t)
	path := filepath.Join(t.TempDir(), "dir.yaml")
	os.WriteFile(path, []byte("users:\n  - {user_name: bot@example.com, manager: nobody@example.com}\n"), 0o600)
	f, err := directory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directory.Import(context.Background(), st, f, directory.ImportOptions{}); err == nil || !strings.Contains(err.Error(), "manager nobody@example.com is not a user") {
		t.Errorf("Import(unknown manager) = %v", err)
	}
}
