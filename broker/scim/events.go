package scim

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/outbox"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Limits of the identity event schemas.
const (
	maxEventEmails  = 32
	maxEventGroups  = 512
	maxEventChanged = 64
	// membersPerEvent keeps a membership event well under the event size
	// limit; a larger change is reported in several events.
	membersPerEvent = 200
)

// userEvents are the constructors of the identity.user.* events.
var userEvents = map[string]func(string, events.UserChange, ...events.Option) (event.Event, error){
	events.UserProvisioned: events.NewUserProvisioned,
	events.UserUpdated:     events.NewUserUpdated,
	events.UserDeactivated: events.NewUserDeactivated,
	events.UserReactivated: events.NewUserReactivated,
	events.UserDeleted:     events.NewUserDeleted,
}

// emitter enqueues the identity events of one transaction attempt. Each
// event carries the time the SCIM request was received, from which the
// revocation cascade measures its latency, and the actor, never a token.
type emitter struct {
	s   *Server
	req *request
	n   int // events enqueued
}

// user enqueues an identity.user.* event of type typ about u, the state
// after the change (the last state, for a deletion).
func (em *emitter) user(ctx context.Context, tx store.Tx, typ string, u store.User, groups []store.Group, changed []string) error {
	names := make([]string, 0, len(groups))
	for _, g := range groups {
		names = append(names, g.DisplayName)
	}
	data := events.UserChange{User: eventUser(u, names), Changed: changedNames(changed), Actor: em.req.actor, Locked: u.Locked}
	if typ == events.UserUpdated && len(data.Changed) == 0 {
		return nil // nothing an event can name changed
	}
	e, err := userEvents[typ](em.s.cfg.Source, data, events.WithTime(em.req.received), events.WithSubject(u.ID))
	if err != nil {
		return fmt.Errorf("events.New(%s): %w", typ, err)
	}
	return em.enqueue(ctx, tx, e)
}

// membership enqueues the membership changes of group g, in as many events
// as their size needs.
func (em *emitter) membership(ctx context.Context, tx store.Tx, g store.Group, added, removed []events.Member) error {
	for len(added) > 0 || len(removed) > 0 {
		a, r := take(&added, membersPerEvent), take(&removed, membersPerEvent)
		data := events.MembershipChange{
			Group: events.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID},
			Added: a, Removed: r, Actor: em.req.actor,
		}
		e, err := events.NewGroupMembershipChanged(em.s.cfg.Source, data, events.WithTime(em.req.received), events.WithSubject(g.ID))
		if err != nil {
			return fmt.Errorf("events.NewGroupMembershipChanged: %w", err)
		}
		if err := em.enqueue(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// members names the users with those ids, for a membership event. A user
// that no longer exists is named by id only.
func members(ctx context.Context, tx store.Tx, ids []string) ([]events.Member, error) {
	out := make([]events.Member, 0, len(ids))
	for _, id := range ids {
		m := events.Member{ID: id}
		u, err := tx.GetUser(ctx, id)
		switch {
		case err == nil:
			m.UserName = u.UserName
		case !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("store.GetUser: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (em *emitter) enqueue(ctx context.Context, tx store.Tx, e event.Event) error {
	if err := outbox.Enqueue(ctx, tx, em.s.cfg.IdentityTopic, e); err != nil {
		return fmt.Errorf("outbox.Enqueue: %w", err)
	}
	if err := (audit.Log{Topic: em.s.cfg.AuditTopic}).Append(ctx, tx, e.Clone()); err != nil {
		return err
	}
	em.n++
	return nil
}

// take removes and returns up to n items from the front of *list.
func take[T any](list *[]T, n int) []T {
	k := min(n, len(*list))
	head := (*list)[:k:k]
	*list = (*list)[k:]
	return head
}

// eventUser is the user as the identity events describe it. Addresses that
// the event schema would refuse (it checks the e-mail format) are left out
// of the event rather than fail the write.
func eventUser(u store.User, groups []string) events.User {
	eu := events.User{ID: u.ID, UserName: u.UserName, ExternalID: u.ExternalID, DisplayName: u.DisplayName, Active: u.Active}
	for _, e := range u.Emails {
		if len(eu.Emails) < maxEventEmails && validEmail(e.Value) && !slices.Contains(eu.Emails, e.Value) {
			eu.Emails = append(eu.Emails, e.Value)
		}
	}
	for _, g := range groups {
		if len(eu.Groups) < maxEventGroups && len(g) <= maxNameLength && !slices.Contains(eu.Groups, g) {
			eu.Groups = append(eu.Groups, g)
		}
	}
	return eu
}

// changedNames keeps the attribute names the event schema accepts, at most
// maxEventChanged of them.
func changedNames(names []string) []string {
	var out []string
	for _, n := range names {
		if len(out) < maxEventChanged && changedName.MatchString(n) {
			out = append(out, n)
		}
	}
	return out
}

var changedName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._:-]{0,127}$`)
