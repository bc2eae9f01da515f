package storeopen

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/sqlite"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in                   string
		wantKind, wantTarget string
		wantErr              bool
	}{
		{"postgres://u@h:5432/db?sslmode=disable", "postgres", "postgres://u@h:5432/db?sslmode=disable", false},
		{"postgresql://h/db", "postgres", "postgresql://h/db", false},
		{"sqlite:///var/lib/iis", "sqlite", "/var/lib/iis", false},
		{"sqlite://data", "sqlite", "data", false},
		{"sqlite:data/iis.db", "sqlite", "data/iis.db", false},
		{"/var/lib/iis", "sqlite", "/var/lib/iis", false},
		{"./data", "sqlite", "./data", false},
		{"", "", "", true},
		{"sqlite://", "", "", true},
		{"mysql://h/db", "", "", true},
	}
	for _, tt := range tests {
		kind, target, err := parse(tt.in)
		if (err != nil) != tt.wantErr || kind != tt.wantKind || target != tt.wantTarget {
			t.Errorf("parse(%q) = %q, %q, %v; want %q, %q, error %v", tt.in, kind, target, err, tt.wantKind, tt.wantTarget, tt.wantErr)
		}
	}
}

func TestSQLiteConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want sqlite.Config
	}{
		{filepath.Join(dir, "x.db"), sqlite.Config{Path: filepath.Join(dir, "x.db")}},
		{filepath.Join(dir, "x.SQLITE3"), sqlite.Config{Path: filepath.Join(dir, "x.SQLITE3")}},
		{file, sqlite.Config{Path: file}},
		{dir, sqlite.Config{DataDir: dir}},
		{filepath.Join(dir, "new"), sqlite.Config{DataDir: filepath.Join(dir, "new")}},
	}
	for _, tt := range tests {
		if got := sqliteConfig(tt.path); got.Path != tt.want.Path || got.DataDir != tt.want.DataDir {
			t.Errorf("sqliteConfig(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
	}
}

// roundTrip opens rawURL, writes, and checks the write is visible.
func roundTrip(t *testing.T, rawURL string) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, rawURL)
	if err != nil {
		t.Fatalf("Open(%s): %v", Redact(rawURL), err)
	}
	defer s.Close()
	err = s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MarkProcessed(ctx, "k", "", time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("Update on %s: %v", Redact(rawURL), err)
	}
}

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	for _, u := range []string{"sqlite://" + filepath.Join(dir, "a"), filepath.Join(dir, "b"), "sqlite:" + filepath.Join(dir, "c.db")} {
		roundTrip(t, u)
	}
	for _, want := range []string{filepath.Join(dir, "a", sqlite.FileName), filepath.Join(dir, "b", sqlite.FileName), filepath.Join(dir, "c.db")} {
		if _, err := os.Stat(want); err != nil {
			t.Errorf("Stat(%s): %v", want, err)
		}
	}
}

func TestOpenPostgres(t *testing.T) {
	roundTrip(t, storetest.PostgresDSN(t))
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://iis:s3cret@db:5432/iis?sslmode=require", "postgres://iis:xxxxx@db:5432/iis?sslmode=require"},
		{"postgres://db/iis?password=s3cret&sslmode=disable", "postgres://db/iis?password=xxxxx&sslmode=disable"},
		{"postgres://iis@db/iis", "postgres://iis@db/iis"},
		{"/var/lib/iis", "/var/lib/iis"},
	}
	for _, tt := range tests {
		got := Redact(tt.in)
		if got != tt.want || strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
