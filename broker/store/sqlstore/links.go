package sqlstore

import (
	"context"

	"github.com/dataproc-iis/iis/broker/store"
)

// FindUserByExternalID implements store.Directory.
func (t *tx) FindUserByExternalID(ctx context.Context, externalID string) (store.User, error) {
	if externalID == "" {
		return store.User{}, notFound("user with an empty externalId")
	}
	us, err := t.listUsers(ctx, Expr{SQL: "external_id = ? ORDER BY created_at, id LIMIT ?", Args: []any{externalID, 2}})
	switch {
	case err != nil:
		return store.User{}, err
	case len(us) == 0:
		return store.User{}, notFound("user with externalId %q", externalID)
	case len(us) > 1:
		return store.User{}, conflict("several users have the externalId %q", externalID)
	}
	return us[0], nil
}

// LinkIdentity implements store.IdentityLinks.
func (t *tx) LinkIdentity(ctx context.Context, issuer, subject, userID string) error {
	const op = "sqlstore: LinkIdentity"
	if issuer == "" || subject == "" {
		return invalid("LinkIdentity: empty issuer or subject")
	}
	if _, err := t.GetUser(ctx, userID); err != nil {
		return err
	}
	_, err := t.exec(ctx, op, `INSERT INTO identity_links (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (issuer, subject) DO UPDATE SET user_id = excluded.user_id, created_at = excluded.created_at`,
		issuer, subject, userID, t.d().timeArg(t.s.now()))
	return err
}

// UnlinkIdentity implements store.IdentityLinks.
func (t *tx) UnlinkIdentity(ctx context.Context, issuer, subject string) (bool, error) {
	n, err := t.execCount(ctx, "sqlstore: UnlinkIdentity", "DELETE FROM identity_links WHERE issuer = ? AND subject = ?", issuer, subject)
	return n > 0, err
}

// FindUserByIdentity implements store.IdentityLinks.
func (t *tx) FindUserByIdentity(ctx context.Context, issuer, subject string) (store.User, error) {
	var id string
	found, err := t.queryRow(ctx, "sqlstore: FindUserByIdentity",
		"SELECT user_id FROM identity_links WHERE issuer = ? AND subject = ?", []any{issuer, subject}, &id)
	switch {
	case err != nil:
		return store.User{}, err
	case !found:
		return store.User{}, notFound("no user linked to %s#%s", issuer, subject)
	}
	return t.GetUser(ctx, id)
}

// IdentityLinksOf implements store.IdentityLinks.
func (t *tx) IdentityLinksOf(ctx context.Context, userID string) ([]store.IdentityLink, error) {
	const op = "sqlstore: IdentityLinksOf"
	rows, err := t.query(ctx, op, "SELECT issuer, subject, user_id, created_at FROM identity_links WHERE user_id = ? ORDER BY issuer, subject", userID)
	if err != nil {
		return nil, err
	}
	ls, err := collect(rows, func(r rowScanner) (store.IdentityLink, error) {
		var l store.IdentityLink
		err := r.Scan(&l.Issuer, &l.Subject, &l.UserID, timeCol{&l.CreatedAt})
		return l, err
	})
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	return ls, nil
}
