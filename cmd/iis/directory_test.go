package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirectoryImport: a second import adds to the first (a user imported
// earlier keeps her group), -replace makes the group exactly the file's
// users, and every change is printed.
func TestDirectoryImport(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.yaml", "users:\n  - {user_name: alice@example.com, groups: [data-eng]}\n")
	second := write("second.yaml", `users:
  - user_name: bob@example.com
    groups: [data-eng]
    identities: [{issuer: "https://login.example.com", subject: "248289761001"}]
`)
	importing := func(args ...string) string {
		t.Helper()
		var out, errOut syncBuffer
		if code := run(context.Background(), append([]string{"directory", "import", "-data-dir", dir}, args...), &out, &errOut); code != 0 {
			t.Fatalf("directory import %v = %d, %q %q", args, code, out.String(), errOut.String())
		}
		return out.String()
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{first}, []string{"created user alice@example.com", "created group data-eng", "added to data-eng: alice@example.com", "3 changes"}},
		{[]string{second}, []string{"created user bob@example.com", "added to data-eng: bob@example.com",
			"linked https://login.example.com#248289761001 -> bob@example.com", "3 changes"}},
		{[]string{first}, []string{"0 changes"}},  // alice is still in data-eng: nothing to do
		{[]string{second}, []string{"0 changes"}}, // nor is anything new about bob
		{[]string{"-replace", first}, []string{"removed from data-eng: bob@example.com", "1 changes"}},
		{[]string{write("leaver.yaml", "users:\n  - {user_name: alice@example.com, active: false}\n")},
			[]string{"deactivated and locked (the leaver cascade runs) alice@example.com"}},
	} {
		out := importing(tt.args...)
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("directory import %v printed %q, want %q", tt.args, out, w)
			}
		}
	}
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"directory", "import", "-data-dir", dir, filepath.Join(dir, "missing.yaml")}, &out, &errOut); code == 0 {
		t.Error("import of a missing file exited 0")
	}
	if code := run(context.Background(), []string{"directory", "import", "-h"}, &out, &errOut); !strings.Contains(errOut.String(), "identities:") {
		t.Errorf("directory import -h = %d, %q; want the file format", code, errOut.String())
	}
}
