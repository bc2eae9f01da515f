package sqlstore

import (
	"context"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

const loginCols = "id, idp, protocol, client, redirect_uri, client_state, code_challenge, nonce, pkce_verifier, " +
	"saml_request_id, code_hash, device_code_hash, user_code_hash, status, reason, user_id, principal, email, " +
	"subject, evidence_fingerprint, authenticated_at, remote_ip, created_at, expires_at, polled_at"

// nullString scans a nullable text column into a string ("" for NULL).
type nullString struct{ s *string }

func (c nullString) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.s = ""
	case string:
		*c.s = v
	case []byte:
		*c.s = string(v)
	}
	return nil
}

// orNull is s, or NULL when empty: unique code columns hold many NULLs.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *tx) optTime(ts time.Time) any {
	if ts.IsZero() {
		return nil
	}
	return t.d().timeArg(ts)
}

func scanLogin(r rowScanner) (store.LoginFlow, error) {
	var f store.LoginFlow
	var authAt, polledAt *time.Time
	err := r.Scan(&f.ID, &f.IdP, &f.Protocol, &f.Client, &f.RedirectURI, &f.ClientState, &f.CodeChallenge,
		&f.Nonce, &f.PKCEVerifier, &f.SAMLRequestID, nullString{&f.CodeHash}, nullString{&f.DeviceCodeHash},
		nullString{&f.UserCodeHash}, &f.Status, &f.Reason, &f.UserID, &f.Principal, &f.Email, &f.Subject,
		&f.EvidenceFingerprint, nullTimeCol{&authAt}, &f.RemoteIP, timeCol{&f.CreatedAt}, timeCol{&f.ExpiresAt},
		nullTimeCol{&polledAt})
	if authAt != nil {
		f.AuthenticatedAt = *authAt
	}
	if polledAt != nil {
		f.PolledAt = *polledAt
	}
	return f, err
}

func (t *tx) loginArgs(f store.LoginFlow) []any {
	return []any{f.IdP, f.Protocol, f.Client, f.RedirectURI, f.ClientState, f.CodeChallenge, f.Nonce, f.PKCEVerifier,
		f.SAMLRequestID, orNull(f.CodeHash), orNull(f.DeviceCodeHash), orNull(f.UserCodeHash), f.Status, f.Reason,
		f.UserID, f.Principal, f.Email, f.Subject, f.EvidenceFingerprint, t.optTime(f.AuthenticatedAt), f.RemoteIP}
}

func checkLogin(op string, f store.LoginFlow) error {
	switch {
	case f.ID == "" || f.IdP == "" || f.Protocol == "" || f.Client == "":
		return invalid("%s: empty id, idp, protocol or client", op)
	case f.ExpiresAt.IsZero():
		return invalid("%s: no expiry", op)
	}
	switch f.Status {
	case store.LoginPending, store.LoginAuthenticated, store.LoginDone, store.LoginFailed:
		return nil
	}
	return invalid("%s: status %q", op, f.Status)
}

// PutLoginFlow implements store.Logins.
func (t *tx) PutLoginFlow(ctx context.Context, f store.LoginFlow) error {
	if err := checkLogin("PutLoginFlow", f); err != nil {
		return err
	}
	args := append([]any{f.ID}, t.loginArgs(f)...)
	args = append(args, t.d().timeArg(t.s.now()), t.d().timeArg(f.ExpiresAt), t.optTime(f.PolledAt))
	_, err := t.exec(ctx, "sqlstore: PutLoginFlow",
		`INSERT INTO login_flows (`+loginCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	return err
}

// GetLoginFlow implements store.Logins.
func (t *tx) GetLoginFlow(ctx context.Context, id string) (store.LoginFlow, error) {
	return t.getLogin(ctx, "id", id)
}

// FindLoginFlow implements store.Logins.
func (t *tx) FindLoginFlow(ctx context.Context, key store.LoginKey, hash string) (store.LoginFlow, error) {
	switch key {
	case store.LoginByCode, store.LoginByDeviceCode, store.LoginByUserCode:
	default:
		return store.LoginFlow{}, invalid("FindLoginFlow: unknown key %q", key)
	}
	if hash == "" {
		return store.LoginFlow{}, notFound("login flow with an empty %s", key)
	}
	return t.getLogin(ctx, string(key), hash)
}

func (t *tx) getLogin(ctx context.Context, col, v string) (store.LoginFlow, error) {
	const op = "sqlstore: get login flow"
	rows, err := t.query(ctx, op, "SELECT "+loginCols+" FROM login_flows WHERE "+col+" = ?"+t.forUpdate(), v)
	if err != nil {
		return store.LoginFlow{}, err
	}
	fs, err := collect(rows, scanLogin)
	if err != nil {
		return store.LoginFlow{}, t.d().Wrap(op, err)
	}
	if len(fs) == 0 {
		return store.LoginFlow{}, notFound("login flow")
	}
	return fs[0], nil
}

// UpdateLoginFlow implements store.Logins.
func (t *tx) UpdateLoginFlow(ctx context.Context, f store.LoginFlow, from string) error {
	if err := checkLogin("UpdateLoginFlow", f); err != nil {
		return err
	}
	args := append(t.loginArgs(f), t.d().timeArg(f.ExpiresAt), t.optTime(f.PolledAt), f.ID, from)
	n, err := t.execCount(ctx, "sqlstore: UpdateLoginFlow",
		`UPDATE login_flows SET idp = ?, protocol = ?, client = ?, redirect_uri = ?, client_state = ?, code_challenge = ?,
		 nonce = ?, pkce_verifier = ?, saml_request_id = ?, code_hash = ?, device_code_hash = ?, user_code_hash = ?,
		 status = ?, reason = ?, user_id = ?, principal = ?, email = ?, subject = ?, evidence_fingerprint = ?,
		 authenticated_at = ?, remote_ip = ?, expires_at = ?, polled_at = ? WHERE id = ? AND status = ?`, args...)
	if err != nil || n > 0 {
		return err
	}
	if _, err := t.GetLoginFlow(ctx, f.ID); err != nil {
		return err
	}
	return conflict("UpdateLoginFlow: flow is no longer %s", from)
}

// ConsumeOnce implements store.Logins.
func (t *tx) ConsumeOnce(ctx context.Context, key string, now, expires time.Time) (bool, error) {
	if key == "" {
		return false, invalid("ConsumeOnce: empty key")
	}
	n, err := t.execCount(ctx, "sqlstore: ConsumeOnce",
		`INSERT INTO login_replay (replay_key, expires_at) VALUES (?, ?)
		 ON CONFLICT (replay_key) DO UPDATE SET expires_at = excluded.expires_at WHERE login_replay.expires_at <= ?`,
		key, t.d().timeArg(expires), t.d().timeArg(now))
	return n == 1, err
}

// PruneLogins implements store.Logins.
func (t *tx) PruneLogins(ctx context.Context, before time.Time) (int64, error) {
	n, err := t.execCount(ctx, "sqlstore: PruneLogins", "DELETE FROM login_flows WHERE expires_at < ?", t.d().timeArg(before))
	if err != nil {
		return 0, err
	}
	m, err := t.execCount(ctx, "sqlstore: PruneLogins", "DELETE FROM login_replay WHERE expires_at < ?", t.d().timeArg(before))
	return n + m, err
}
