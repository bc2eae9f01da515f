package store

import (
	"context"
	"time"
)

// Login flow states (LoginFlow.Status). A flow moves pending ->
// authenticated -> done, or to failed from either; never back.
const (
	LoginPending       = "pending"       // sent to the IdP, waiting for its response
	LoginAuthenticated = "authenticated" // the IdP vouched and the directory agreed; waiting for the client's exchange
	LoginDone          = "done"          // the session was issued
	LoginFailed        = "failed"        // refused (Reason), or given up
)

// LoginKey names the one-time values a flow can be found by.
type LoginKey string

// The LoginKeys: each is the hex SHA-256 of the value, never the value.
const (
	LoginByCode       LoginKey = "code_hash"        // the code handed to the CLI's loopback listener
	LoginByDeviceCode LoginKey = "device_code_hash" // RFC 8628 device_code
	LoginByUserCode   LoginKey = "user_code_hash"   // RFC 8628 user_code (normalised)
)

// LoginFlow is one login in progress at the login service. It holds no
// token, assertion or code: codes are kept as SHA-256 hashes. The IdP's
// PKCE verifier is kept while the flow is pending (it is useless without
// the IdP's authorization code, which never reaches the store) and cleared
// when the flow moves on.
type LoginFlow struct {
	ID       string // random; the state (OIDC) or RelayState (SAML) sent to the IdP
	IdP      string // configured name of the identity provider
	Protocol string // "oidc" | "saml"
	Client   string // "loopback" | "device"

	// The CLI's side (loopback): where to send the code, its state, and the
	// S256 challenge of its own PKCE verifier.
	RedirectURI   string
	ClientState   string
	CodeChallenge string

	// The IdP's side.
	Nonce         string // OIDC nonce
	PKCEVerifier  string // OIDC PKCE verifier for the IdP; cleared after the callback
	SAMLRequestID string // ID of the AuthnRequest the SP sent

	CodeHash       string // LoginByCode
	DeviceCodeHash string // LoginByDeviceCode
	UserCodeHash   string // LoginByUserCode

	Status string
	Reason string // why it failed

	// Who, once the IdP vouched and the directory agreed.
	UserID              string
	Principal           string
	Email               string
	Subject             string // the IdP's sub or NameID
	EvidenceFingerprint string // of the ID token or assertion id
	AuthenticatedAt     time.Time

	RemoteIP  string    // of the client that started it
	CreatedAt time.Time // set by PutLoginFlow
	ExpiresAt time.Time
	PolledAt  time.Time // device clients: last poll, for slow_down
}

// Logins keeps the login service's short-lived state: flows in progress and
// the replay cache of one-time values (SAML assertion ids, OIDC codes).
type Logins interface {
	// PutLoginFlow inserts a new flow. A flow whose ID or one of whose code
	// hashes is taken is ErrConflict.
	PutLoginFlow(ctx context.Context, f LoginFlow) error
	// GetLoginFlow returns the flow with that id.
	GetLoginFlow(ctx context.Context, id string) (LoginFlow, error)
	// FindLoginFlow returns the flow whose key column holds hash.
	FindLoginFlow(ctx context.Context, key LoginKey, hash string) (LoginFlow, error)
	// UpdateLoginFlow replaces the stored flow f.ID if its status is still
	// from, and is ErrConflict otherwise (another request moved it on
	// first): each step of a flow happens once.
	UpdateLoginFlow(ctx context.Context, f LoginFlow, from string) error
	// ConsumeOnce records key as used until expires and reports whether
	// this is its first use at now. A key whose record has expired counts as
	// new again. Under concurrency exactly one committed transaction sees
	// first == true.
	ConsumeOnce(ctx context.Context, key string, now, expires time.Time) (first bool, err error)
	// PruneLogins deletes the flows and replay records that expired before
	// the given time, and returns how many it removed.
	PruneLogins(ctx context.Context, before time.Time) (int64, error)
}
