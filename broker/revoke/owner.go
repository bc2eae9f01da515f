package revoke

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// owner is the directory user a cascade acts for, as the store has it, and
// the principal its access.revoked names.
type owner struct {
	userID    string
	user      *store.User // nil: deleted
	principal events.Principal
}

// leaverOf re-reads the user a deactivation or deletion names. The cascade
// runs only if the directory says the user is gone, locked or inactive: an
// identity event the directory does not bear out (stale, or forged) revokes
// nothing and is refused with ReasonStale.
func leaverOf(ctx context.Context, tx store.Tx, id string) (owner, error) {
	u, err := tx.GetUser(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return owner{userID: id, principal: events.Principal{ID: id, Type: events.PrincipalHuman}}, nil
	case err != nil:
		return owner{}, err
	case u.Active && !u.Locked:
		return owner{}, fault.Permanentf(ReasonStale, "the directory says user %s is active and unlocked: nothing was revoked", id)
	}
	return ownerOf(ctx, tx, u)
}

// ownerOf is the owner of an existing user.
func ownerOf(ctx context.Context, tx store.Tx, u store.User) (owner, error) {
	groups, err := directory.GroupNames(ctx, tx, u.ID)
	if err != nil {
		return owner{}, err
	}
	p := events.Principal{ID: strings.ToLower(u.UserName), Email: directory.PrimaryEmail(u), Type: events.PrincipalHuman, Groups: groups}
	return owner{userID: u.ID, user: &u, principal: p}, nil
}

// holdings returns the owner's active jobs and grants: those recorded
// under the user id, and records without one (the directory off, or
// written before user ids were kept) under the user's name or primary
// e-mail address.
func (o owner) holdings(ctx context.Context, tx store.Tx, now time.Time) ([]store.Job, []store.Grant, error) {
	jobs, err := tx.ListActiveJobsByUser(ctx, o.userID)
	if err != nil {
		return nil, nil, err
	}
	grants, err := o.grants(ctx, tx, now)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		seen[j.RequestID] = true
	}
	for _, name := range o.names() {
		js, err := tx.ListActiveJobsByPrincipal(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		for _, j := range js {
			if j.UserID == "" && !seen[j.RequestID] {
				seen[j.RequestID] = true
				jobs = append(jobs, j)
			}
		}
	}
	return jobs, grants, nil
}

// grants returns the owner's active grants (see holdings).
func (o owner) grants(ctx context.Context, tx store.Tx, now time.Time) ([]store.Grant, error) {
	grants, err := tx.ListActiveGrantsByUser(ctx, o.userID, now)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, g := range grants {
		seen[g.ID] = true
	}
	for _, name := range o.names() {
		gs, err := tx.ListActiveGrants(ctx, name, now)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.UserID == "" && !seen[g.ID] {
				seen[g.ID] = true
				grants = append(grants, g)
			}
		}
	}
	return grants, nil
}

// names are the principal names records without a user id may carry.
func (o owner) names() []string {
	if o.user == nil || o.principal.ID == "" {
		return nil
	}
	names := []string{o.principal.ID}
	if e := o.principal.Email; e != "" && e != o.principal.ID {
		names = append(names, e)
	}
	return names
}

// fill names a deleted user after what was recorded for them.
func (o *owner) fill(grants []store.Grant, work []workload, clusters []store.Cluster) {
	if o.user != nil {
		return
	}
	for _, g := range grants {
		o.principal.ID = g.Principal
		return
	}
	for _, w := range work {
		o.principal.ID = w.job.Principal
		return
	}
	for _, c := range clusters {
		o.principal.ID = c.Principal
		return
	}
}
