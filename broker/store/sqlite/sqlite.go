package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store/sqlstore"
)

// FileName is the database file's name inside Config.DataDir.
const FileName = "iis.db"

// Config locates and tunes the database.
type Config struct {
	// DataDir is the directory that holds FileName; it is created (0700) if
	// missing. Ignored when Path is set.
	DataDir string
	// Path is the database file itself.
	Path string
	// BusyTimeout is how long a transaction waits for another process's
	// lock before failing as unavailable; default 5s.
	BusyTimeout time.Duration
	// ReadConns is the size of the read-only pool; default 4.
	ReadConns int
	// Synchronous is SQLite's synchronous setting: "FULL" (default: a
	// commit survives power loss) or "NORMAL" (faster; in WAL mode a commit
	// survives a process crash but not a power loss).
	Synchronous string
	// Clock stamps the times the store sets; time.Now if nil.
	Clock func() time.Time
}

// Validate reports whether c can open a database.
func (c Config) Validate() error {
	p := c.path()
	switch {
	case p == "":
		return errors.New("sqlite: Config needs DataDir or Path")
	case strings.ContainsAny(p, "?#"):
		return fmt.Errorf("sqlite: path %q: '?' and '#' are not allowed", p)
	case c.BusyTimeout < 0 || c.ReadConns < 0:
		return errors.New("sqlite: negative BusyTimeout or ReadConns")
	}
	switch strings.ToUpper(c.Synchronous) {
	case "", "FULL", "NORMAL":
	default:
		return fmt.Errorf("sqlite: Synchronous %q: want FULL or NORMAL", c.Synchronous)
	}
	return nil
}

// path is the database file.
func (c Config) path() string {
	if c.Path != "" {
		return c.Path
	}
	if c.DataDir != "" {
		return filepath.Join(c.DataDir, FileName)
	}
	return ""
}

// Open opens (creating if needed) the database and applies migrations.
func Open(ctx context.Context, cfg Config) (*sqlstore.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	path := cfg.path()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fault.AsTransient(sqlstore.ReasonUnavailable, fmt.Errorf("sqlite: create data directory: %w", err))
	}
	// The directory holds personal data: create the file private to the
	// owner; SQLite gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fault.AsTransient(sqlstore.ReasonUnavailable, fmt.Errorf("sqlite: create %s: %w", path, err))
	}
	_ = f.Close()

	busy := cfg.BusyTimeout
	if busy == 0 {
		busy = 5 * time.Second
	}
	synchronous := strings.ToUpper(cfg.Synchronous)
	if synchronous == "" {
		synchronous = "FULL"
	}
	params := url.Values{
		"_busy_timeout": {fmt.Sprint(busy.Milliseconds())},
		"_foreign_keys": {"1"},
		"_synchronous":  {synchronous},
		// LIKE compares case-sensitively, as on PostgreSQL: filters fold
		// both sides themselves where an attribute is not caseExact.
		"_pragma": {"case_sensitive_like(1)"},
	}
	write := cloneWith(params, "_journal_mode", "WAL", "_txlock", "immediate")
	read := cloneWith(params, "_query_only", "1")

	wdb, err := sql.Open("sqlite", path+"?"+write.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// One writer: goroutines queue in database/sql for the connection
	// instead of spinning on SQLITE_BUSY.
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxIdleTime(0)
	rdb, err := sql.Open("sqlite", path+"?"+read.Encode())
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := cfg.ReadConns
	if n == 0 {
		n = 4
	}
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)

	s, err := sqlstore.Open(ctx, sqlstore.Config{Dialect: Dialect(), DB: wdb, ReadDB: rdb, Clock: cfg.Clock})
	if err != nil {
		_ = errors.Join(wdb.Close(), rdb.Close())
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return s, nil
}

// cloneWith returns a copy of v with the given key, value pairs set.
func cloneWith(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}
