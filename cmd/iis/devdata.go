package main

import (
	"context"
	"embed"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/internal/devstack"
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

// devKeyFile is the session signing key of `iis dev`, kept in the data dir
// so that sessions survive a restart.
const devKeyFile = "session-key.pem"

// devSessionKey loads the dev session key, creating it on first use.
func devSessionKey(dir string) (signing.Signer, error) {
	return signing.NewFile(signing.FileConfig{Path: filepath.Join(dir, devKeyFile), Create: true})
}

// devUsers are the people of the directory file, who can log in at both
// dev IdPs (workloads cannot).
func devUsers(path string) ([]devstack.User, error) {
	f, err := directory.Load(path)
	if err != nil {
		return nil, err
	}
	var out []devstack.User
	for _, u := range f.Users {
		email := u.UserName
		if len(u.Emails) > 0 {
			email = u.Emails[0]
		}
		if !strings.Contains(email, "@") || strings.HasSuffix(email, ".gserviceaccount.com") {
			continue
		}
		out = append(out, devstack.User{Email: email, Name: u.DisplayName, Groups: u.Groups})
	}
	return out, nil
}
