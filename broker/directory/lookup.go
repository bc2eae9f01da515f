package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
)

// Store reads principals from a store.
type Store struct{ St store.Store }

var _ decision.Directory = Store{}

// Lookup finds the principal by user name (the principal id, which is the
// e-mail or subject per issuer mapping), then by e-mail. An e-mail shared
// by several users is refused rather than guessed.
func (d Store) Lookup(ctx context.Context, principalID, email string) (decision.Entry, error) {
	var e decision.Entry
	err := d.St.View(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := Find(ctx, tx, principalID, email)
		if err != nil {
			return err
		}
		groups, err := GroupNames(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		e = decision.Entry{UserID: u.ID, UserName: strings.ToLower(u.UserName), Active: u.Active, Locked: u.Locked, Groups: groups}
		return nil
	})
	return e, err
}

// GroupNames returns the display names of the user's groups: what policy
// bindings name.
func GroupNames(ctx context.Context, tx store.Tx, userID string) ([]string, error) {
	gs, err := tx.GroupsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range gs {
		names = append(names, g.DisplayName)
	}
	return names, nil
}

// Find returns the user a principal maps to, or an error wrapping
// decision.ErrNotFound.
func Find(ctx context.Context, tx store.Tx, principalID, email string) (store.User, error) {
	u, err := tx.GetUserByName(ctx, principalID)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	for _, addr := range []string{email, principalID} {
		if addr == "" {
			continue
		}
		u, err = tx.FindUserByEmail(ctx, addr)
		switch {
		case err == nil:
			return u, nil
		case errors.Is(err, store.ErrConflict):
			return u, fault.Permanentf("principal_ambiguous", "e-mail %s belongs to several directory users", addr)
		case !errors.Is(err, store.ErrNotFound):
			return u, err
		}
	}
	return u, fmt.Errorf("%s: %w", principalID, decision.ErrNotFound)
}
