package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dataproc-iis/iis/broker/store/sqlstore"
)

// Config locates and tunes the database.
type Config struct {
	// DSN is a PostgreSQL connection string, URL or key=value form
	// ("postgres://user@host:5432/db?sslmode=require"). Unknown query
	// parameters are sent as run-time settings (search_path=...).
	DSN string
	// MaxConns bounds the connection pool; default 10.
	MaxConns int
	// Clock stamps the times the store sets; time.Now if nil.
	Clock func() time.Time
}

// Validate reports whether c can open a database.
func (c Config) Validate() error {
	if c.DSN == "" {
		return errors.New("postgres: Config.DSN is empty")
	}
	if c.MaxConns < 0 {
		return errors.New("postgres: negative MaxConns")
	}
	return nil
}

// Open connects, applies migrations and returns the store. An unreachable
// server is a transient fault (store_unavailable).
func Open(ctx context.Context, cfg Config) (*sqlstore.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		// The parse error redacts the password.
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	db := stdlib.OpenDB(*cc)
	n := cfg.MaxConns
	if n == 0 {
		n = 10
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	d := Dialect()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, d.Wrap("postgres: connect", err)
	}
	s, err := sqlstore.Open(ctx, sqlstore.Config{Dialect: d, DB: db, Clock: cfg.Clock})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}
