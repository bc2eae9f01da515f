package credentials

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/rs/zerolog"
)

// Credential is a minted access token for one service account. The token is
// reachable only through AccessToken: String, GoString, MarshalJSON, the
// zerolog and slog marshallers, and even reflection-based printers show the
// service account, scopes, expiry and fingerprint, never the token.
type Credential struct {
	ServiceAccount string
	Scopes         []string
	ExpireTime     time.Time
	// Fingerprint identifies the token in logs and audit events; see Fingerprint.
	Fingerprint string

	// token is a closure rather than a string so that fmt's %+v of an
	// enclosing struct, spew-like dumpers and cmp never reach the secret.
	token func() string
}

// newCredential wraps a token minted for sa.
func newCredential(token, sa string, scopes []string, expires time.Time) Credential {
	return Credential{
		ServiceAccount: sa,
		Scopes:         slices.Clone(scopes),
		ExpireTime:     expires,
		Fingerprint:    Fingerprint(token),
		token:          func() string { return token },
	}
}

// AccessToken returns the OAuth 2 access token, to be sent as a bearer token
// and nowhere else. It is empty for the zero Credential.
func (c Credential) AccessToken() string {
	if c.token == nil {
		return ""
	}
	return c.token()
}

// Expired reports whether the credential is no longer usable at now, or will
// not be within margin.
func (c Credential) Expired(now time.Time, margin time.Duration) bool {
	return c.token == nil || !now.Add(margin).Before(c.ExpireTime)
}

// Fingerprint returns the identifier of a token used in logs, audit events and
// the store: the first 16 hex digits of its SHA-256. It cannot be turned back
// into the token.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

// String describes the credential without its token.
func (c Credential) String() string {
	return fmt.Sprintf("credential{service_account=%s scopes=%v expire_time=%s fingerprint=%s}",
		c.ServiceAccount, c.Scopes, c.ExpireTime.UTC().Format(time.RFC3339), c.Fingerprint)
}

// GoString makes %#v as safe as %v.
func (c Credential) GoString() string { return c.String() }

// credentialJSON is the marshalled form: everything but the token.
type credentialJSON struct {
	ServiceAccount string    `json:"service_account"`
	Scopes         []string  `json:"scopes"`
	ExpireTime     time.Time `json:"expire_time"`
	Fingerprint    string    `json:"fingerprint"`
}

// MarshalJSON encodes the credential without its token.
func (c Credential) MarshalJSON() ([]byte, error) {
	return json.Marshal(credentialJSON{c.ServiceAccount, c.Scopes, c.ExpireTime, c.Fingerprint})
}

// MarshalZerologObject logs the credential without its token.
func (c Credential) MarshalZerologObject(e *zerolog.Event) {
	e.Str("service_account", c.ServiceAccount).
		Strs("scopes", c.Scopes).
		Time("expire_time", c.ExpireTime).
		Str("fingerprint", c.Fingerprint)
}

// LogValue logs the credential without its token through log/slog.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("service_account", c.ServiceAccount),
		slog.Any("scopes", c.Scopes),
		slog.Time("expire_time", c.ExpireTime),
		slog.String("fingerprint", c.Fingerprint))
}
