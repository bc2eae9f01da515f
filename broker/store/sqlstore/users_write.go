package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
)

// PutUser implements store.Directory. On error it returns the zero User.
func (t *tx) PutUser(ctx context.Context, u store.User) (store.User, error) {
	u, err := t.putUser(ctx, u)
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

func (t *tx) putUser(ctx context.Context, u store.User) (store.User, error) {
	const op = "sqlstore: PutUser"
	if err := validateUser(u); err != nil {
		return u, err
	}
	if err := t.writable(op); err != nil {
		return u, err
	}
	var attrs any
	if len(u.Attributes) > 0 {
		attrs = string(u.Attributes)
	}
	now := t.s.now()
	u.UpdatedAt = now
	if u.Version == 0 {
		if u.ID == "" {
			u.ID = newID()
		}
		u.Version, u.CreatedAt = 1, now
		n, err := t.execCount(ctx, op,
			`INSERT INTO dir_users (id, user_name, user_name_key, external_id, display_name, display_name_key,
			 active, locked, lock_reason, attributes, version, created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			u.ID, u.UserName, foldKey(u.UserName), u.ExternalID, u.DisplayName, foldKey(u.DisplayName),
			u.Active, u.Locked, u.LockReason, attrs, u.Version, t.d().timeArg(now), t.d().timeArg(now))
		if err != nil {
			return u, err
		}
		if n == 0 {
			return u, conflict("PutUser: user %q or userName %q exists", u.ID, u.UserName)
		}
	} else {
		if err := t.userNameFree(ctx, u.ID, u.UserName); err != nil {
			return u, err
		}
		var version int64
		found, err := t.queryRow(ctx, op,
			"SELECT version, locked, lock_reason, created_at FROM dir_users WHERE id = ?"+t.forUpdate(),
			[]any{u.ID}, &version, &u.Locked, &u.LockReason, timeCol{&u.CreatedAt})
		switch {
		case err != nil:
			return u, err
		case !found:
			return u, notFound("PutUser: user %q", u.ID)
		case version != u.Version:
			return u, conflict("PutUser: user %q is at version %d, not %d", u.ID, version, u.Version)
		}
		u.Version++
		_, err = t.exec(ctx, op,
			`UPDATE dir_users SET user_name = ?, user_name_key = ?, external_id = ?, display_name = ?,
			 display_name_key = ?, active = ?, attributes = ?, version = ?, updated_at = ? WHERE id = ?`,
			u.UserName, foldKey(u.UserName), u.ExternalID, u.DisplayName, foldKey(u.DisplayName),
			u.Active, attrs, u.Version, t.d().timeArg(now), u.ID)
		if err != nil {
			return u, err
		}
	}
	if err := t.putEmails(ctx, u.ID, u.Emails); err != nil {
		return u, err
	}
	if len(u.Emails) == 0 {
		u.Emails = nil
	}
	if len(u.Attributes) == 0 {
		u.Attributes = nil
	}
	return u, nil
}

// userNameFree fails with ErrConflict if another user than id has userName.
func (t *tx) userNameFree(ctx context.Context, id, userName string) error {
	var other string
	found, err := t.queryRow(ctx, "sqlstore: PutUser",
		"SELECT id FROM dir_users WHERE user_name_key = ? AND id <> ?", []any{foldKey(userName), id}, &other)
	if err == nil && found {
		err = conflict("PutUser: userName %q belongs to user %q", userName, other)
	}
	return err
}

// putEmails replaces the e-mail addresses of a user.
func (t *tx) putEmails(ctx context.Context, userID string, emails []store.Email) error {
	const op = "sqlstore: PutUser e-mails"
	if _, err := t.exec(ctx, op, "DELETE FROM dir_user_emails WHERE user_id = ?", userID); err != nil {
		return err
	}
	if len(emails) == 0 {
		return nil
	}
	var (
		vals []string
		args []any
	)
	for i, e := range emails {
		vals = append(vals, "(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, userID, i, e.Value, foldKey(e.Value), e.Type, foldKey(e.Type), e.Primary)
	}
	_, err := t.exec(ctx, op, "INSERT INTO dir_user_emails (user_id, position, value, value_key, type, type_key, is_primary) VALUES "+
		strings.Join(vals, ", "), args...)
	return err
}

// DeleteUser implements store.Directory.
func (t *tx) DeleteUser(ctx context.Context, id string) error {
	const op = "sqlstore: DeleteUser"
	if err := t.writable(op); err != nil {
		return err
	}
	// The groups the user leaves change too.
	_, err := t.exec(ctx, op, `UPDATE dir_groups SET version = version + 1, updated_at = ?
		WHERE id IN (SELECT group_id FROM dir_members WHERE user_id = ?)`, t.d().timeArg(t.s.now()), id)
	if err != nil {
		return err
	}
	// Explicit deletes, so that nothing depends on ON DELETE CASCADE being
	// enforced by the connection.
	for _, q := range []string{
		"DELETE FROM dir_members WHERE user_id = ?",
		"DELETE FROM dir_user_emails WHERE user_id = ?",
		"DELETE FROM identity_links WHERE user_id = ?",
	} {
		if _, err := t.exec(ctx, op, q, id); err != nil {
			return err
		}
	}
	n, err := t.execCount(ctx, op, "DELETE FROM dir_users WHERE id = ?", id)
	if err == nil && n == 0 {
		err = notFound("DeleteUser: user %q", id)
	}
	return err
}

// SetUserLocked implements store.Directory. Locking keeps reason as
// LockReason; unlocking clears it.
func (t *tx) SetUserLocked(ctx context.Context, id string, locked bool, reason string) (bool, error) {
	const op = "sqlstore: SetUserLocked"
	if !locked {
		reason = ""
	}
	n, err := t.execCount(ctx, op, "UPDATE dir_users SET locked = ?, lock_reason = ? WHERE id = ? AND locked = ?",
		locked, reason, id, !locked)
	if err != nil || n > 0 {
		return n > 0, err
	}
	if _, err := t.GetUser(ctx, id); err != nil {
		return false, err
	}
	return false, nil
}

// validateUser checks what the schema cannot.
func validateUser(u store.User) error {
	switch {
	case strings.TrimSpace(u.UserName) == "":
		return invalid("PutUser: empty userName")
	case u.Version < 0:
		return invalid("PutUser: negative version %d", u.Version)
	case u.Version > 0 && u.ID == "":
		return invalid("PutUser: version %d without an id", u.Version)
	}
	for _, e := range u.Emails {
		if strings.TrimSpace(e.Value) == "" {
			return invalid("PutUser: empty e-mail value")
		}
	}
	if len(u.Attributes) == 0 {
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(u.Attributes))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return invalid("PutUser: attributes: %v", err)
	}
	if dec.More() {
		return invalid("PutUser: attributes: trailing data after the JSON object")
	}
	if _, ok := v.(map[string]any); !ok {
		return invalid("PutUser: attributes must be a JSON object")
	}
	if path := findPassword(v, "$"); path != "" {
		return invalid("PutUser: attributes hold a password at %s: the store never keeps one", path)
	}
	return nil
}

// isPasswordKey matches "password" and URN-qualified forms of it
// ("urn:ietf:params:scim:schemas:core:2.0:User:password"), in any case.
func isPasswordKey(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || strings.HasSuffix(k, ":password")
}

// findPassword returns the path of the first "password" member in v (any
// case, any depth), or "".
func findPassword(v any, path string) string {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if isPasswordKey(k) {
				return path + "." + k
			}
			if p := findPassword(child, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for _, child := range v {
			if p := findPassword(child, path+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}
