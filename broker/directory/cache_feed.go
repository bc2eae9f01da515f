package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"
)

// Feed reports changes to the directory made by any worker, for Cached to
// drop what they make stale. postgres.Listener is one, fed by LISTEN/NOTIFY.
type Feed interface {
	// Changes returns a channel of changes that is closed when the feed
	// stops. The feed stops sending to it when ctx is done. The first
	// change that lets a cache serve is FeedUp.
	Changes(ctx context.Context) (<-chan Change, error)
}

// ChangeKind tells what a Change reports.
type ChangeKind uint8

// The kinds of change. A feed that cannot guarantee that it delivers every
// change (before it is connected, while it reconnects) says FeedDown; once it
// can again, FeedUp.
const (
	// ChangeUsers: the users in Users changed (their row, e-mail addresses
	// or groups), and lookups by a principal id or e-mail in Keys may now
	// find someone else or no one.
	ChangeUsers ChangeKind = iota + 1
	// ChangeAll: anything may have changed.
	ChangeAll
	// FeedUp: every change committed from now on will be delivered. The
	// cache flushes and serves again.
	FeedUp
	// FeedDown: changes may be lost from now on. The cache flushes and reads
	// the directory every time until FeedUp.
	FeedDown
)

// Change is one report of a Feed.
type Change struct {
	Kind ChangeKind
	// Users are the ids of the users whose entries are stale (ChangeUsers).
	Users []string
	// Keys are user names and e-mail addresses, lower-cased as the store
	// keys them, whose owner may have changed (ChangeUsers).
	Keys []string
}

// ErrFollowing is returned by Follow when the cache already follows a feed.
var ErrFollowing = errors.New("directory: the cache already follows a feed")

// Follow applies the changes f reports until ctx is done or f stops, then
// leaves the cache down (reading the directory every time). It returns nil
// then, since a cache without a feed is slower but still correct; it returns
// an error only if f cannot be followed at all.
func (c *Cached) Follow(ctx context.Context, f Feed) error {
	if !c.following.CompareAndSwap(false, true) {
		return ErrFollowing
	}
	defer c.following.Store(false)
	ch, err := f.Changes(ctx)
	if err != nil {
		return fmt.Errorf("directory: Feed.Changes: %w", err)
	}
	defer c.turn(false)
	for {
		select {
		case <-ctx.Done():
			return nil
		case change, ok := <-ch:
			if !ok {
				if ctx.Err() == nil {
					zerolog.Ctx(ctx).Warn().Msg("directory change feed stopped: the directory cache is off")
				}
				return nil
			}
			c.apply(ctx, change)
		}
	}
}

// apply applies one change. Any kind it does not know flushes the cache.
func (c *Cached) apply(ctx context.Context, ch Change) {
	switch ch.Kind {
	case ChangeUsers:
		c.invalidate(ch.Users, ch.Keys)
	case FeedUp:
		if !c.turn(true) {
			zerolog.Ctx(ctx).Info().Msg("directory change feed up: the directory cache is on")
		}
	case FeedDown:
		if c.turn(false) {
			zerolog.Ctx(ctx).Warn().Msg("directory change feed down: the directory cache is off until it is back")
		}
	default:
		c.InvalidateAll()
	}
}

// turn flushes the cache and turns it on or off. It reports whether it was
// on.
func (c *Cached) turn(on bool) (was bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	was = c.live
	c.flush()
	c.live = on
	return was
}
