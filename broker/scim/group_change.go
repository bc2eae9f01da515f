package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/dataproc-iis/iis/broker/store"
)

// insertGroup stores a new group and reports its members as added.
func insertGroup(ctx context.Context, tx store.Tx, em *emitter, m map[string]any) (store.Group, error) {
	g, err := groupRow(m)
	if err != nil {
		return g, err
	}
	stored, err := tx.PutGroup(ctx, g)
	if err != nil {
		return g, groupWriteError(ctx, tx, g, err)
	}
	return stored, membershipEffects(ctx, tx, em, store.Group{ID: stored.ID, DisplayName: stored.DisplayName}, stored)
}

// changeGroup writes the new stored form m of group old and reports the
// membership changes of the stored states. When only members change it
// uses SetMembers, whose added and removed sets are the store's own diff.
func changeGroup(ctx context.Context, tx store.Tx, em *emitter, old store.Group, m map[string]any) (store.Group, error) {
	g, err := groupRow(m)
	if err != nil {
		return old, err
	}
	g.ID, g.Version = old.ID, old.Version
	if g.DisplayName == old.DisplayName && g.ExternalID == old.ExternalID {
		if slices.Equal(g.Members, old.Members) {
			return old, nil
		}
		added, removed, err := tx.SetMembers(ctx, old.ID, g.Members)
		if err != nil {
			return old, groupWriteError(ctx, tx, g, err)
		}
		return g, em.memberDiff(ctx, tx, old, added, removed)
	}
	stored, err := tx.PutGroup(ctx, g)
	if err != nil {
		return old, groupWriteError(ctx, tx, g, err)
	}
	return stored, membershipEffects(ctx, tx, em, old, stored)
}

// removeGroup deletes a group and reports its members as removed.
func removeGroup(ctx context.Context, tx store.Tx, em *emitter, id string) error {
	g, err := tx.GetGroup(ctx, id)
	if err != nil {
		return lookupError(err, "Group", id)
	}
	if err := tx.DeleteGroup(ctx, id); err != nil {
		return fmt.Errorf("store.DeleteGroup: %w", err)
	}
	return em.memberDiff(ctx, tx, g, nil, g.Members)
}

// membershipEffects reports how the members of old became those of cur.
// A rename changes who is in the group of each name (policies name groups
// by displayName): the old name loses every old member and the new name
// gains every current one.
func membershipEffects(ctx context.Context, tx store.Tx, em *emitter, old, cur store.Group) error {
	if old.DisplayName != cur.DisplayName {
		if err := em.memberDiff(ctx, tx, old, nil, old.Members); err != nil {
			return err
		}
		return em.memberDiff(ctx, tx, cur, cur.Members, nil)
	}
	added, removed := setDiff(old.Members, cur.Members)
	return em.memberDiff(ctx, tx, cur, added, removed)
}

// memberDiff enqueues the membership events for users added to and
// removed from group g, if any.
func (em *emitter) memberDiff(ctx context.Context, tx store.Tx, g store.Group, added, removed []string) error {
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	a, err := members(ctx, tx, added)
	if err != nil {
		return err
	}
	r, err := members(ctx, tx, removed)
	if err != nil {
		return err
	}
	return em.membership(ctx, tx, g, a, r)
}

// setDiff returns the elements of cur not in old and of old not in cur;
// both are sorted.
func setDiff(old, cur []string) (added, removed []string) {
	for _, id := range cur {
		if _, ok := slices.BinarySearch(old, id); !ok {
			added = append(added, id)
		}
	}
	for _, id := range old {
		if _, ok := slices.BinarySearch(cur, id); !ok {
			removed = append(removed, id)
		}
	}
	return added, removed
}

// groupWriteError maps a failed group write: a member that is not a user is
// 400 invalidValue, a taken displayName 409 uniqueness.
func groupWriteError(ctx context.Context, tx store.Tx, g store.Group, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		if g.ID != "" {
			if _, gerr := tx.GetGroup(ctx, g.ID); errors.Is(gerr, store.ErrNotFound) {
				return notFound("Group", g.ID)
			}
		}
		return badRequest(typeInvalidValue, "a member is not a user of this directory")
	case errors.Is(err, store.ErrConflict):
		if other, gerr := tx.GetGroupByName(ctx, g.DisplayName); gerr == nil && other.ID != g.ID {
			return errorf(http.StatusConflict, typeUniqueness, "displayName is already taken by another group")
		}
		return errorf(http.StatusConflict, "", "the group changed concurrently; retry")
	}
	return fmt.Errorf("store.PutGroup: %w", err)
}
