package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/dataproc-iis/iis/broker/store"
)

// userPlan is how a user filter is answered: the comparisons the store can
// evaluate become fields of a UserQuery (typed parameters, never SQL text);
// when any comparison is left over (residual), the store's candidates are
// filtered in Go and paged here.
type userPlan struct {
	q        store.UserQuery
	id       string // id eq "...": a single lookup
	residual bool
}

func planUsers(conds []cond) userPlan {
	var p userPlan
	for _, c := range conds {
		if !p.push(c) {
			p.residual = true
		}
	}
	if p.id != "" {
		p.residual = true // the other comparisons are checked on the one user
	}
	return p
}

// push moves a comparison into the store query if it can take it.
func (p *userPlan) push(c cond) bool {
	if c.ext != "" {
		return false
	}
	set := func(dst *string) bool {
		v, _ := c.value.(string)
		if *dst != "" || c.sub != nil || c.inner != nil || v == "" {
			return false
		}
		*dst = v
		return true
	}
	switch c.a.name {
	case "userName":
		return set(&p.q.UserName)
	case "externalId":
		return set(&p.q.ExternalID)
	case "displayName":
		return set(&p.q.DisplayName)
	case "id":
		return set(&p.id)
	case "emails":
		email, typ, ok := emailCond(c)
		if !ok || p.q.Email != "" {
			return false
		}
		p.q.Email, p.q.EmailType = email, typ
		return true
	}
	return false
}

// emailCond recognises emails eq "x", emails.value eq "x" and
// emails[type eq "t" and value eq "x"] (also written
// emails[type eq "t"].value eq "x").
func emailCond(c cond) (email, typ string, ok bool) {
	if c.sub != nil {
		email, _ = c.value.(string)
		return email, "", c.sub.name == "value" && email != ""
	}
	for _, in := range c.inner {
		v, _ := in.value.(string)
		switch {
		case in.a.name == "value" && email == "" && v != "":
			email = v
		case in.a.name == "type" && typ == "" && v != "":
			typ = v
		default:
			return "", "", false
		}
	}
	return email, typ, email != ""
}

// run returns the page of matching users and the total count.
func (p userPlan) run(ctx context.Context, tx store.Tx, pg page, conds []cond, base string) ([]store.User, int, error) {
	if !p.residual {
		total, err := tx.CountUsers(ctx, p.q)
		if err != nil || pg.count == 0 {
			return nil, total, wrap("store.CountUsers", err)
		}
		q := p.q
		q.Offset, q.Limit = pg.offset(), pg.count
		users, err := tx.ListUsers(ctx, q)
		return users, total, wrap("store.ListUsers", err)
	}
	var candidates []store.User
	if p.id != "" {
		u, err := tx.GetUser(ctx, p.id)
		switch {
		case err == nil:
			candidates = []store.User{u}
		case !errors.Is(err, store.ErrNotFound):
			return nil, 0, wrap("store.GetUser", err)
		}
	} else {
		q := p.q
		q.Limit = maxScan + 1
		users, err := tx.ListUsers(ctx, q)
		if err != nil {
			return nil, 0, wrap("store.ListUsers", err)
		}
		if len(users) > maxScan {
			return nil, 0, errorf(http.StatusBadRequest, typeTooMany, "the filter needs more than %d users examined: add userName, externalId or an e-mail", maxScan)
		}
		candidates = users
	}
	needGroups := usesAttr(conds, "groups")
	var matched []store.User
	for _, u := range candidates {
		var groups []store.Group
		if needGroups {
			var err error
			if groups, err = tx.GroupsOf(ctx, u.ID); err != nil {
				return nil, 0, wrap("store.GroupsOf", err)
			}
		}
		if matchAll(renderUser(u, groups, base), conds) {
			matched = append(matched, u)
		}
	}
	from, to := pg.window(len(matched))
	return matched[from:to], len(matched), nil
}

// usesAttr reports whether a condition reads the core attribute name.
func usesAttr(conds []cond, name string) bool {
	for _, c := range conds {
		if c.ext == "" && c.a.name == name {
			return true
		}
	}
	return false
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
