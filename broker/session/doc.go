// Package session issues and verifies the broker's own session tokens: the
// short-lived JWTs a person gets after logging in through their OIDC or
// SAML identity provider (package login), and which `iis run` attaches to
// job requests in place of an ID token.
//
// A session token is an ES256 JWS whose sub is the directory user id, with
// the user's primary e-mail (email_verified true), the identity provider of
// the login and auth_time. Its lifetime is configurable (default 1h) and
// never more than 12h; a refresh issues a new token with the same auth_time
// and is refused once 12h have passed since the person authenticated, or
// when the directory has locked them (package login checks that).
//
// The issuer publishes an OIDC discovery document and a JWKS, so that the
// workers verify session tokens with package identity exactly as they
// verify any issuer's ID tokens: the issuers file lists the session issuer
// like any other. The JWKS holds the current signing key version and the
// previous ones (Config.Previous), so that tokens signed before a rotation
// keep verifying until they expire. Keys are signed with through a Signer:
// a Cloud KMS asymmetric key in production, a key file in dev.
//
// It is separate from package login so that the token format, its claims
// and its keys have one owner, whichever protocol the person logged in with.
package session
