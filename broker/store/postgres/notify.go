package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/directory"
)

// Channel is the notification channel on which migration 3's triggers
// report directory changes.
const Channel = "iis_directory"

// The listener's timing. A quiet connection is pinged every healthEvery, so
// that a connection that died silently is noticed (and caches flushed)
// within healthEvery + pingTimeout.
const (
	connectTimeout = 10 * time.Second
	healthEvery    = 15 * time.Second
	pingTimeout    = 5 * time.Second
	minBackoff     = 100 * time.Millisecond
	maxBackoff     = 10 * time.Second
)

// ErrListenerClosed is returned by Changes once the listener has stopped.
var ErrListenerClosed = errors.New("postgres: directory listener closed")

// Listener is a directory.Feed: it listens on Channel on a dedicated
// connection and reports the changes made in its schema (the first schema of
// the DSN's search_path). It says directory.FeedDown whenever it is not
// sure to receive every notification (before it has connected, after it lost
// its connection) and directory.FeedUp once it is listening again,
// reconnecting with backoff in between.
type Listener struct {
	cfg    *pgx.ConnConfig
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	up     bool
	closed bool
}

type subscriber struct {
	ch   chan directory.Change
	done <-chan struct{}
}

var _ directory.Feed = (*Listener)(nil)

// Listen starts listening for directory changes on its own connection to the
// database dsn names, until ctx is done or Close is called. It returns
// without waiting for the connection: until it is up, subscribers are told
// nothing but FeedUp once it is.
func Listen(ctx context.Context, dsn string) (*Listener, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "iis-directory-listener"
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &Listener{cfg: cfg, cancel: cancel, done: make(chan struct{}), subs: map[*subscriber]struct{}{}}
	go l.run(ctx)
	return l, nil
}

// Changes implements directory.Feed. The channel starts with FeedUp if the
// listener is up; it is closed when the listener stops, and receives nothing
// more once ctx is done.
func (l *Listener) Changes(ctx context.Context) (<-chan directory.Change, error) {
	s := &subscriber{ch: make(chan directory.Change, 16), done: ctx.Done()}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrListenerClosed
	}
	if l.up {
		s.ch <- directory.Change{Kind: directory.FeedUp}
	}
	l.subs[s] = struct{}{}
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		delete(l.subs, s)
		l.mu.Unlock()
	})
	return s.ch, nil
}

// Close stops the listener, closes its connection and the subscribers'
// channels, and waits until it is done.
func (l *Listener) Close() error {
	l.cancel()
	<-l.done
	return nil
}

// run keeps a listening session open until ctx is done.
func (l *Listener) run(ctx context.Context) {
	defer close(l.done)
	defer l.stop()
	log := zerolog.Ctx(ctx)
	backoff := minBackoff
	for {
		listened, err := l.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			backoff = minBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		log.Warn().Err(err).Dur("retry_in", wait).Msg("directory listener disconnected: directory caches are off until it reconnects")
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session connects, listens and delivers notifications until the connection
// fails or ctx is done. listened reports whether it got as far as LISTEN.
func (l *Listener) session(ctx context.Context) (listened bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	conn, err := pgx.ConnectConfig(cctx, l.cfg)
	if err != nil {
		cancel()
		return false, fmt.Errorf("pgx.Connect: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}()
	var schema *string
	err = conn.QueryRow(cctx, "SELECT current_schema()").Scan(&schema)
	if err == nil && schema == nil {
		err = errors.New("no schema of the search_path exists")
	}
	if err != nil {
		cancel()
		return false, fmt.Errorf("current_schema: %w", err)
	}
	_, err = conn.Exec(cctx, "LISTEN "+Channel)
	cancel()
	if err != nil {
		return false, fmt.Errorf("LISTEN: %w", err)
	}
	l.setUp(ctx, true)
	defer l.setUp(ctx, false)
	for {
		wctx, cancel := context.WithTimeout(ctx, healthEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if n != nil {
			if ch, ok := parseChange(*schema, n.Payload); ok {
				l.deliver(ctx, ch)
			}
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return true, ctx.Err()
		case pgconn.Timeout(err) && !conn.IsClosed():
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				return true, fmt.Errorf("ping: %w", err)
			}
		default:
			return true, fmt.Errorf("WaitForNotification: %w", err)
		}
	}
}

// notification is migration 3's payload.
type notification struct {
	Schema string   `json:"schema"`
	Users  []string `json:"users"`
	Keys   []string `json:"keys"`
	All    bool     `json:"all"`
}

// parseChange decodes a payload and reports whether it concerns schema. A
// payload it cannot read is taken to mean that anything may have changed.
func parseChange(schema, payload string) (directory.Change, bool) {
	var n notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return directory.Change{Kind: directory.ChangeAll}, true
	}
	switch {
	case n.Schema != schema:
		return directory.Change{}, false
	case n.All:
		return directory.Change{Kind: directory.ChangeAll}, true
	}
	return directory.Change{Kind: directory.ChangeUsers, Users: n.Users, Keys: n.Keys}, true
}

// setUp records whether the listener is up and tells the subscribers.
func (l *Listener) setUp(ctx context.Context, up bool) {
	l.mu.Lock()
	l.up = up
	l.mu.Unlock()
	kind := directory.FeedDown
	if up {
		kind = directory.FeedUp
	}
	l.deliver(ctx, directory.Change{Kind: kind})
}

// deliver sends ch to every subscriber, waiting for each to take it (a
// change must not be dropped), unless the subscriber or the listener is
// done.
func (l *Listener) deliver(ctx context.Context, ch directory.Change) {
	l.mu.Lock()
	subs := make([]*subscriber, 0, len(l.subs))
	for s := range l.subs {
		subs = append(subs, s)
	}
	l.mu.Unlock()
	for _, s := range subs {
		select {
		case s.ch <- ch:
		case <-s.done:
		case <-ctx.Done():
		}
	}
}

// stop closes the subscribers' channels; no one sends on them any more.
func (l *Listener) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed, l.up = true, false
	for s := range l.subs {
		close(s.ch)
	}
	clear(l.subs)
}
