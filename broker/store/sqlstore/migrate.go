package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrations embed.FS

// Migrations returns the embedded migrations of a dialect ("sqlite" or
// "postgres").
func Migrations(dialect string) fs.FS {
	sub, err := fs.Sub(migrations, path.Join("migrations", dialect))
	if err != nil {
		panic(err) // a constant path: cannot fail
	}
	return sub
}

// migration is one NNNN_name.sql file.
type migration struct {
	version int64
	name    string
	sql     string
}

// readMigrations lists the migrations in fsys, in version order.
func readMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list migrations: %w", err)
	}
	var ms []migration
	seen := map[int64]string{}
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration %q: name must be NNNN_name.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("sqlstore: migrations %q and %q share version %d", prev, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: read migration: %w", err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// Migrate applies the dialect's pending migrations in version order, each in
// its own transaction together with its schema_migrations row, so that a
// failed migration leaves the schema as it was before it. Applied versions
// are skipped, which makes Migrate idempotent; versions the binary does not
// know (a newer deployment's) are left alone.
func Migrate(ctx context.Context, db *sql.DB, d *Dialect) error {
	ms, err := readMigrations(d.Migrations)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := applyMigration(ctx, db, d, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, d *Dialect, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return d.Wrap("sqlstore: begin migration", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return d.Wrap("sqlstore: lock migrations", err)
		}
	}
	if _, err := tx.ExecContext(ctx, d.MigrationsTable); err != nil {
		return d.Wrap("sqlstore: create schema_migrations", err)
	}
	var n int
	err = tx.QueryRowContext(ctx, d.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), m.version).Scan(&n)
	if err != nil {
		return d.Wrap("sqlstore: read schema_migrations", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return d.Wrap(fmt.Sprintf("sqlstore: migration %s", m.name), err)
	}
	_, err = tx.ExecContext(ctx, d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.version, m.name, d.timeArg(time.Now()))
	if err != nil {
		return d.Wrap("sqlstore: record migration", err)
	}
	if err := tx.Commit(); err != nil {
		return d.Wrap(fmt.Sprintf("sqlstore: commit migration %s", m.name), err)
	}
	return nil
}
