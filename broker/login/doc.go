// Package login is the broker's login service: it lets a person sign in
// with their organisation's identity provider and hands their terminal a
// broker session token (package session).
//
// Toward the identity provider it is an OIDC relying party (authorization
// code flow with PKCE, state and nonce; discovery through go-oidc, the
// exchange through golang.org/x/oauth2) or a SAML 2.0 service provider
// (crewjam/saml: SP metadata, AuthnRequest by HTTP-Redirect, the Response
// by HTTP-POST to the ACS, signed response or assertion required, audience,
// NotBefore/NotOnOrAfter with a configurable skew, InResponseTo against the
// request sent, an assertion-id replay cache in the store). Toward the CLI
// it is a small OAuth 2.0 authorization server: `iis login` either listens
// on a loopback port and receives a one-time code that only its own PKCE
// verifier redeems (RFC 8252), or, on a headless terminal, uses device
// authorization (RFC 8628): it prints a URL and a code that the person
// enters in any browser, and polls.
//
// Before any session is issued the directory must know the person (found by
// user name or e-mail, as the workers find them), active and not locked;
// the check is repeated at the exchange and at every refresh, so a leaver
// locked mid-login gets nothing. Every refusal is a specific reason audited
// as login.failed; a success is login.succeeded and session.issued, both
// naming the session by fingerprint. Codes are kept in the store as
// SHA-256 hashes, and no token, assertion or code is ever logged or
// audited.
package login
