package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Lock reasons set by this endpoint. A reactivation only lifts a lock that
// SCIM set: a lock set by an operator for another reason stays.
const (
	lockDeactivated = "scim: deactivated"
	lockDeleted     = "scim: deleted"
	lockPrefix      = "scim:"
)

// update runs fn in one store transaction and, once it committed events,
// wakes the outbox relay. fn may run more than once (a backend retries
// serialization failures), each time with a fresh emitter.
func (s *Server) update(ctx context.Context, req *request, fn func(context.Context, store.Tx, *emitter) error) error {
	var em *emitter
	err := s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		em = &emitter{s: s, req: req}
		return fn(ctx, tx, em)
	})
	if err == nil && em != nil && em.n > 0 && s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return err
}

// insertUser stores a new user (the resource m in stored form) and reports
// the joiner. A user created inactive is created locked.
func insertUser(ctx context.Context, tx store.Tx, em *emitter, m map[string]any) (store.User, error) {
	u, err := userRow(m)
	if err != nil {
		return u, err
	}
	if !u.Active {
		u.Locked, u.LockReason = true, lockDeactivated
	}
	stored, err := tx.PutUser(ctx, u)
	if err != nil {
		return stored, userWriteError(ctx, tx, u, err)
	}
	return stored, em.user(ctx, tx, events.UserProvisioned, stored, nil, nil)
}

// changeUser writes the new stored form m of user old and derives the
// effects from the difference between the stored states: nothing when
// nothing changed (a repeated deactivation emits nothing), the lock and a
// deactivated event when active went from true to false, the unlock and a
// reactivated event when it went back (an updated event if a lock set
// outside SCIM remains), an updated event otherwise.
func changeUser(ctx context.Context, tx store.Tx, em *emitter, old store.User, m map[string]any) (store.User, error) {
	if len(diffResource(userMap(old), m)) == 0 {
		return old, nil // nothing to write, nothing to report
	}
	u, err := userRow(m)
	if err != nil {
		return old, err
	}
	u.ID, u.Version = old.ID, old.Version
	stored, err := tx.PutUser(ctx, u)
	if err != nil {
		return old, userWriteError(ctx, tx, u, err)
	}
	changed := diffResource(userMap(old), userMap(stored))
	typ := events.UserUpdated
	switch {
	case old.Active && !stored.Active:
		typ = events.UserDeactivated
		if _, err := tx.SetUserLocked(ctx, stored.ID, true, lockDeactivated); err != nil {
			return old, fmt.Errorf("store.SetUserLocked: %w", err)
		}
		stored.Locked, stored.LockReason = true, lockDeactivated
	case !old.Active && stored.Active:
		if stored.Locked && strings.HasPrefix(stored.LockReason, lockPrefix) {
			if _, err := tx.SetUserLocked(ctx, stored.ID, false, ""); err != nil {
				return old, fmt.Errorf("store.SetUserLocked: %w", err)
			}
			stored.Locked, stored.LockReason = false, ""
		}
		// A reactivation event means an unlocked principal; a user still
		// locked for another reason is only reported as updated.
		if !stored.Locked {
			typ = events.UserReactivated
		}
	}
	groups, err := tx.GroupsOf(ctx, stored.ID)
	if err != nil {
		return old, fmt.Errorf("store.GroupsOf: %w", err)
	}
	return stored, em.user(ctx, tx, typ, stored, groups, changed)
}

// removeUser deletes a user: it locks the principal, removes the user and
// their memberships, and reports the leaver and each group left.
func removeUser(ctx context.Context, tx store.Tx, em *emitter, id string) error {
	u, err := tx.GetUser(ctx, id)
	if err != nil {
		return lookupError(err, "User", id)
	}
	groups, err := tx.GroupsOf(ctx, id)
	if err != nil {
		return fmt.Errorf("store.GroupsOf: %w", err)
	}
	if _, err := tx.SetUserLocked(ctx, id, true, lockDeleted); err != nil {
		return fmt.Errorf("store.SetUserLocked: %w", err)
	}
	if err := tx.DeleteUser(ctx, id); err != nil {
		return fmt.Errorf("store.DeleteUser: %w", err)
	}
	u.Locked, u.LockReason = true, lockDeleted
	if err := em.user(ctx, tx, events.UserDeleted, u, groups, nil); err != nil {
		return err
	}
	for _, g := range groups {
		if err := em.membership(ctx, tx, g, nil, []events.Member{{ID: u.ID, UserName: u.UserName}}); err != nil {
			return err
		}
	}
	return nil
}

// diffResource names the attributes whose stored values differ: top-level
// attributes of the core schema, and URN-qualified attributes of the
// extensions ("urn:...:enterprise:2.0:User:manager").
func diffResource(old, cur map[string]any) []string {
	flat := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			if ext, ok := v.(map[string]any); ok && strings.HasPrefix(k, "urn:") {
				for k2, v2 := range ext {
					out[k+":"+k2] = v2
				}
				continue
			}
			out[k] = v
		}
		return out
	}
	a, b := flat(old), flat(cur)
	var changed []string
	for k, v := range a {
		if w, ok := b[k]; !ok || !sameJSON(v, w) {
			changed = append(changed, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	return changed
}

// userWriteError maps a failed PutUser of u: a conflict is a taken
// userName (409 uniqueness) or a concurrent change (409).
func userWriteError(ctx context.Context, tx store.Tx, u store.User, err error) error {
	if !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("store.PutUser: %w", err)
	}
	if other, gerr := tx.GetUserByName(ctx, u.UserName); gerr == nil && other.ID != u.ID {
		return errorf(http.StatusConflict, typeUniqueness, "userName is already taken by another user")
	}
	return errorf(http.StatusConflict, "", "the user changed concurrently; retry")
}

// lookupError maps a failed read of the addressed resource.
func lookupError(err error, kind, id string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound(kind, id)
	}
	return fmt.Errorf("store.Get%s: %w", kind, err)
}
