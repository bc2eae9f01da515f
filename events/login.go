package events

import (
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Login protocols (Login.Protocol).
const (
	ProtocolOIDC = "oidc"
	ProtocolSAML = "saml"
)

// Login clients (Login.Client): how the person's terminal receives the
// session.
const (
	ClientLoopback = "loopback" // a browser redirect to the CLI's loopback listener (RFC 8252)
	ClientDevice   = "device"   // device authorization (RFC 8628): a code typed in any browser
)

// Session issue reasons (IssuedSession.Reason).
const (
	SessionLogin   = "login"
	SessionRefresh = "refresh"
)

// Login describes one login attempt with an identity provider. It never
// holds a token, an assertion, a code or a password: what identifies them
// is a fingerprint.
type Login struct {
	FlowID   string `json:"flow_id,omitempty"`   // the login service's id of the attempt
	IdP      string `json:"idp"`                 // configured name of the identity provider, e.g. "okta-saml"
	Protocol string `json:"protocol,omitempty"`  // "oidc" | "saml"; absent for an IdP that is not configured
	Client   string `json:"client,omitempty"`    // "loopback" | "device"
	Subject  string `json:"subject,omitempty"`   // the IdP's subject (sub or NameID), once verified
	RemoteIP string `json:"remote_ip,omitempty"` // the browser's or CLI's address as seen by the login service
	// EvidenceFingerprint identifies the IdP's evidence (the ID token or the
	// SAML assertion id), never the evidence itself.
	EvidenceFingerprint string `json:"evidence_fingerprint,omitempty"`
}

// LoginFailure is the data of login.failed.v1: a login, token exchange or
// refresh was refused. Reason is a specific code (saml_signature_invalid,
// oidc_state_mismatch, principal_locked, ...).
type LoginFailure struct {
	Login     Login      `json:"login"`
	Stage     string     `json:"stage"`               // "start" | "idp_response" | "directory" | "exchange" | "refresh"
	Reason    string     `json:"reason"`              // snake_case code
	Message   string     `json:"message,omitempty"`   // human-readable, never a secret
	Principal *Principal `json:"principal,omitempty"` // who, when the IdP's response was verified
	UserID    string     `json:"user_id,omitempty"`   // the directory user, when found
	// SessionFingerprint identifies the session presented for a refresh.
	SessionFingerprint string `json:"session_fingerprint,omitempty"`
}

// LoginSuccess is the data of login.succeeded.v1: the IdP vouched for a
// person, the directory knows them, and a session was issued.
type LoginSuccess struct {
	Login              Login     `json:"login"`
	Principal          Principal `json:"principal"`
	UserID             string    `json:"user_id"`             // the directory user id (the session's sub)
	SessionFingerprint string    `json:"session_fingerprint"` // the session issued, by fingerprint
	AuthenticatedAt    time.Time `json:"authenticated_at"`    // when the IdP's response was accepted
}

// IssuedSession is the data of session.issued.v1: the broker signed a
// session token. The token is never published: Fingerprint identifies it.
type IssuedSession struct {
	Principal     Principal `json:"principal"`
	UserID        string    `json:"user_id"`                  // the token's sub
	Fingerprint   string    `json:"fingerprint"`              // "sha256:" + hex digits of the token's SHA-256
	KeyID         string    `json:"key_id"`                   // kid of the signing key version
	Issuer        string    `json:"issuer"`                   // the token's iss
	Audience      string    `json:"audience"`                 // the token's aud
	Reason        string    `json:"reason"`                   // "login" | "refresh"
	IdP           string    `json:"idp"`                      // the identity provider of the login behind it
	IssuedAt      time.Time `json:"issued_at"`                //
	ExpiresAt     time.Time `json:"expires_at"`               //
	AuthTime      time.Time `json:"auth_time"`                // when the person last authenticated at the IdP
	RefreshedFrom string    `json:"refreshed_from,omitempty"` // fingerprint of the session a refresh replaced
}

// NewLoginFailed builds a login.failed.v1 event (see New).
func NewLoginFailed(source string, d LoginFailure, opts ...Option) (event.Event, error) {
	return New(LoginFailed, source, d, opts...)
}

// NewLoginSucceeded builds a login.succeeded.v1 event (see New).
func NewLoginSucceeded(source string, d LoginSuccess, opts ...Option) (event.Event, error) {
	return New(LoginSucceeded, source, d, opts...)
}

// NewSessionIssued builds a session.issued.v1 event (see New).
func NewSessionIssued(source string, d IssuedSession, opts ...Option) (event.Event, error) {
	return New(SessionIssued, source, d, opts...)
}

// DecodeLoginFailure returns the data of a login.failed event.
func DecodeLoginFailure(e event.Event) (LoginFailure, error) { return decodeData[LoginFailure](e) }

// DecodeLoginSuccess returns the data of a login.succeeded event.
func DecodeLoginSuccess(e event.Event) (LoginSuccess, error) { return decodeData[LoginSuccess](e) }

// DecodeIssuedSession returns the data of a session.issued event.
func DecodeIssuedSession(e event.Event) (IssuedSession, error) { return decodeData[IssuedSession](e) }
