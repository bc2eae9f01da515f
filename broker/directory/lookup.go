package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
)

// Store reads principals from a store.
type Store struct{ St store.Store }

var _ decision.Directory = Store{}

// ReasonAmbiguous denies a principal that a link finds several users for:
// an identity is never resolved by guessing.
const ReasonAmbiguous = "principal_ambiguous"

// Lookup finds the directory user of a verified principal by the links its
// issuer allows, in order (identity.DirectoryLink), and says which one
// found it.
func (d Store) Lookup(ctx context.Context, p identity.Principal) (decision.Entry, error) {
	var e decision.Entry
	err := d.St.View(ctx, func(ctx context.Context, tx store.Tx) error {
		u, by, err := Find(ctx, tx, p)
		if err != nil {
			return err
		}
		e, err = entryOf(ctx, tx, u)
		e.LinkedBy = by
		return err
	})
	return e, err
}

// entryOf is the decision's view of a user.
func entryOf(ctx context.Context, tx store.Tx, u store.User) (decision.Entry, error) {
	groups, err := GroupNames(ctx, tx, u.ID)
	if err != nil {
		return decision.Entry{}, err
	}
	return decision.Entry{UserID: u.ID, UserName: strings.ToLower(u.UserName), Email: PrimaryEmail(u),
		Active: u.Active, Locked: u.Locked, Groups: groups}, nil
}

// PrimaryEmail is the user's primary e-mail address (or only one), or "".
func PrimaryEmail(u store.User) string {
	for _, e := range u.Emails {
		if e.Primary {
			return strings.ToLower(e.Value)
		}
	}
	if len(u.Emails) == 1 {
		return strings.ToLower(u.Emails[0].Value)
	}
	return ""
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

// Find returns the user a verified principal links to and the link that
// found it, or an error wrapping decision.ErrNotFound. A link that finds
// several users is a permanent principal_ambiguous fault.
func Find(ctx context.Context, tx store.Tx, p identity.Principal) (store.User, string, error) {
	by := p.Link.By
	if len(by) == 0 {
		by = identity.DefaultLinks
	}
	for _, link := range by {
		u, err := findBy(ctx, tx, link, p)
		switch {
		case err == nil:
			return u, link, nil
		case errors.Is(err, store.ErrConflict):
			return u, link, fault.Permanentf(ReasonAmbiguous, "%s: the %s link finds several directory users", p.ID, link)
		case !errors.Is(err, store.ErrNotFound):
			return u, link, err
		}
	}
	return store.User{}, "", fmt.Errorf("%s: %w", p.ID, decision.ErrNotFound)
}

// findBy tries one link; a link the token offers nothing for is not found.
func findBy(ctx context.Context, tx store.Tx, link string, p identity.Principal) (store.User, error) {
	notFound := fmt.Errorf("no %s: %w", link, store.ErrNotFound)
	switch link {
	case identity.LinkIdentity:
		if p.Issuer == "" || p.Subject == "" {
			return store.User{}, notFound
		}
		return tx.FindUserByIdentity(ctx, p.Issuer, p.Subject)
	case identity.LinkUserID:
		if p.Subject == "" {
			return store.User{}, notFound
		}
		return tx.GetUser(ctx, p.Subject)
	case identity.LinkExternalID:
		if p.Link.ExternalID == "" {
			return store.User{}, notFound
		}
		return tx.FindUserByExternalID(ctx, p.Link.ExternalID)
	case identity.LinkUserName:
		if p.Link.UserName == "" {
			return store.User{}, notFound
		}
		return tx.GetUserByName(ctx, p.Link.UserName)
	case identity.LinkEmail:
		if p.Email == "" { // only a verified e-mail reaches here
			return store.User{}, notFound
		}
		return ByName(ctx, tx, p.Email)
	}
	return store.User{}, notFound
}

// ByName finds the user a recorded principal name denotes: the user with
// that userName, else the one whose primary e-mail it is. Records written
// without a user id (the directory off, or before migration 8) are found
// this way.
func ByName(ctx context.Context, tx store.Tx, name string) (store.User, error) {
	u, err := tx.GetUserByName(ctx, name)
	if err == nil || !errors.Is(err, store.ErrNotFound) || !strings.Contains(name, "@") {
		return u, err
	}
	return tx.FindUserByEmail(ctx, name)
}
