package directory

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/outbox"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// importActor names `iis directory import` in identity events.
const importActor = "iis directory import"

// lockImport is the lock reason of a user an import deactivated.
const lockImport = "deactivated by iis directory import"

// emit writes an identity event of an import, as SCIM does: to the
// identity topic, where the workers' cascades take it, and to the audit
// trail, both in the import's transaction.
func (o ImportOptions) emit(ctx context.Context, tx store.Tx, e event.Event) error {
	if err := outbox.Enqueue(ctx, tx, o.identityTopic(), e); err != nil {
		return fmt.Errorf("outbox.Enqueue: %w", err)
	}
	return (audit.Log{Topic: o.auditTopic()}).Append(ctx, tx, e.Clone())
}

func (o ImportOptions) identityTopic() string { return or(o.IdentityTopic, "iis-identity") }
func (o ImportOptions) auditTopic() string    { return or(o.AuditTopic, "iis-audit") }
func (o ImportOptions) source() string        { return or(o.Source, "//dataproc-iis/directory-import") }

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// deactivated locks a user the import set inactive and reports the leaver,
// so that the workers' cascade cancels their jobs and revokes their grants.
func (o ImportOptions) deactivated(ctx context.Context, tx store.Tx, u store.User) error {
	if _, err := tx.SetUserLocked(ctx, u.ID, true, lockImport); err != nil {
		return err
	}
	e, err := events.NewUserDeactivated(o.source(), events.UserChange{
		User: events.User{ID: u.ID, UserName: u.UserName, Active: false}, Changed: []string{"active"}, Actor: importActor, Locked: true,
	}, events.WithSubject(u.ID))
	if err != nil {
		return err
	}
	return o.emit(ctx, tx, e)
}

// removed reports members a -replace import took out of a group (movers).
func (o ImportOptions) removed(ctx context.Context, tx store.Tx, g store.Group, ids []string, names map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	data := events.MembershipChange{Group: events.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID}, Actor: importActor}
	for _, id := range ids {
		data.Removed = append(data.Removed, events.Member{ID: id, UserName: nameOf(ctx, tx, id, names)})
	}
	e, err := events.NewGroupMembershipChanged(o.source(), data, events.WithSubject(g.ID))
	if err != nil {
		return err
	}
	return o.emit(ctx, tx, e)
}
