package main

import (
	"context"
	"embed"
	"errors"
	"os"
	"path/filepath"

	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/store"
)

//go:embed devdata/*.yaml
var devdata embed.FS

// devFile returns path, writing the embedded default there first if the
// file does not exist yet (so the user's edits are kept across runs).
func devFile(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	b, err := devdata.ReadFile("devdata/" + name)
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, b, 0o600)
}

// seedDirectory imports the directory file when the store has no users.
func seedDirectory(ctx context.Context, st store.Store, path string) (int, error) {
	var n int
	err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.CountUsers(ctx, store.UserQuery{})
		return err
	})
	if err != nil || n > 0 {
		return 0, err
	}
	f, err := directory.Load(path)
	if err != nil {
		return 0, err
	}
	r, err := directory.Import(ctx, st, f, directory.ImportOptions{})
	if errors.Is(err, store.ErrConflict) {
		return 0, nil // another process seeded it first
	}
	return len(r.UsersCreated) + len(r.UsersUpdated), err
}
