package storeopen

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/postgres"
	"github.com/dataproc-iis/iis/broker/store/sqlite"
)

// Open opens the store that rawURL names:
//
//   - postgres://... or postgresql://... : PostgreSQL, the URL being the DSN;
//   - sqlite:///abs/path, sqlite://rel/path or sqlite:path : SQLite;
//   - any other string without a scheme : a SQLite path.
//
// A SQLite path names the database file if it ends in .db, .sqlite or
// .sqlite3 or is an existing regular file, and otherwise a data directory
// that holds sqlite.FileName.
func Open(ctx context.Context, rawURL string) (store.Store, error) {
	kind, target, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	if kind == "postgres" {
		return postgres.Open(ctx, postgres.Config{DSN: target})
	}
	return sqlite.Open(ctx, sqliteConfig(target))
}

// parse splits rawURL into a backend ("sqlite" or "postgres") and what that
// backend opens.
func parse(rawURL string) (kind, target string, err error) {
	switch {
	case strings.TrimSpace(rawURL) == "":
		return "", "", fmt.Errorf("storeopen: empty store URL")
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return "postgres", rawURL, nil
	case strings.HasPrefix(rawURL, "sqlite://"):
		target = strings.TrimPrefix(rawURL, "sqlite://")
	case strings.HasPrefix(rawURL, "sqlite:"):
		target = strings.TrimPrefix(rawURL, "sqlite:")
	case strings.Contains(rawURL, "://"):
		scheme, _, _ := strings.Cut(rawURL, "://")
		return "", "", fmt.Errorf("storeopen: unknown store scheme %q (want sqlite or postgres)", scheme)
	default:
		target = rawURL
	}
	if target == "" {
		return "", "", fmt.Errorf("storeopen: %q names no SQLite path", rawURL)
	}
	return "sqlite", target, nil
}

// sqliteConfig tells a database file from a data directory.
func sqliteConfig(path string) sqlite.Config {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".db", ".sqlite", ".sqlite3":
		return sqlite.Config{Path: path}
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return sqlite.Config{Path: path}
	}
	return sqlite.Config{DataDir: path}
}

// Redact returns rawURL with any password replaced by "xxxxx", for logs and
// banners.
func Redact(rawURL string) string {
	if !strings.Contains(rawURL, "://") {
		return rawURL // a path
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable store URL)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
