package approval

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// approver is a verified approver as the directory knows them now.
type approver struct {
	id     string   // directory user id (the principal id without a directory)
	name   string   // the directory's user name (the principal id without a directory)
	groups []string // lower case: the directory's and the trusted token's
	chain  []string // the approver and the principals they act for
	token  identity.Principal
}

// principal is the approver as audit events show them.
func (a approver) principal() events.Principal {
	return events.Principal{ID: a.name, Email: a.token.Email, Type: a.token.Type, Issuer: a.token.Issuer, Groups: a.groups}
}

// resolve finds the verified principal p in the directory, exactly as a
// requester is found (the links its issuer allows), and refuses one that
// is unknown, ambiguous, locked or deactivated. Without a directory the
// token alone says who it is.
func resolve(ctx context.Context, tx store.Tx, p identity.Principal, withDirectory bool) (approver, error) {
	a := approver{id: p.ID, name: p.ID, groups: lower(p.Groups), chain: []string{p.ID}, token: p}
	if !withDirectory {
		return a, nil
	}
	u, _, err := directory.Find(ctx, tx, p)
	switch {
	case errors.Is(err, decision.ErrNotFound):
		return a, fault.Permanentf(decision.ReasonPrincipalUnknown, "approver %s is not in the directory", p.ID)
	case err != nil:
		return a, err
	case u.Locked:
		return a, fault.Permanentf(decision.ReasonPrincipalLocked, "approver %s is locked in the directory", p.ID)
	case !u.Active:
		return a, fault.Permanentf(decision.ReasonPrincipalInactive, "approver %s is deactivated in the directory", p.ID)
	}
	groups, err := directory.GroupNames(ctx, tx, u.ID)
	if err != nil {
		return a, err
	}
	for _, g := range lower(groups) {
		if !slices.Contains(a.groups, g) {
			a.groups = append(a.groups, g)
		}
	}
	a.id, a.name = u.ID, strings.ToLower(u.UserName)
	a.chain, err = directory.Chain(ctx, tx, u, p.Type == identity.TypeWorkload)
	return a, err
}

// eligible refuses an approver who may not answer r: the requester, one
// of the requester's chain (or whose chain holds the requester), or one in
// none of the approving groups.
func (a approver) eligible(r store.ApprovalRequest) error {
	switch {
	case r.UserID != "" && a.id == r.UserID || strings.EqualFold(a.name, r.Principal):
		return fault.Permanentf(ReasonSelf, "%s may not approve their own request %s", a.name, r.RequestID)
	case slices.ContainsFunc(a.chain, func(id string) bool { return slices.Contains(r.Chain, id) }):
		return fault.Permanentf(ReasonChain, "%s acts for, or is acted for by, the requester %s of request %s", a.name, r.Principal, r.RequestID)
	}
	for _, req := range r.Requirements {
		if intersects(a.groups, req.Approvers) {
			return nil
		}
	}
	var groups []string
	for _, req := range r.Requirements {
		groups = append(groups, req.Approvers...)
	}
	return fault.Permanentf(ReasonNotEligible, "%s is in none of the approving groups (%s) of request %s", a.name, strings.Join(groups, ", "), r.RequestID)
}
