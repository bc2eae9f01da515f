package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDirectoryImport(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dir.yaml")
	os.WriteFile(file, []byte("users:\n  - {user_name: alice@example.com, groups: [data-eng]}\n"), 0o600)
	var out, errOut syncBuffer
	code := run(context.Background(), []string{"directory", "import", "-data-dir", dir, file}, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "imported 1 users and 1 groups") {
		t.Fatalf("directory import = %d, %q %q", code, out.String(), errOut.String())
	}
	if code := run(context.Background(), []string{"directory", "import", "-data-dir", dir, filepath.Join(dir, "missing.yaml")}, &out, &errOut); code == 0 {
		t.Error("import of a missing file exited 0")
	}
}
