// Package timeline serves the operator's web page over the audit trail:
// search by request id, principal or time; one request from trigger to
// output (the decision with its policy version and matching rule, the
// credential by fingerprint and expiry, each Dataproc state, cancels and
// the leaver cascade that touched it); a leaver's cascade with its
// latency; and the audit chain's verification status.
//
// It is read-only and reads only the store's audit trail. It is behind the
// broker's own authentication: a broker session token or an ID token from
// a trusted issuer (package identity), of a principal the directory knows
// as active and unlocked, holding a role with may_read_audit. A browser
// signs in through the login service (package login) and keeps the token
// in an HttpOnly, SameSite cookie. Pages are server-rendered html/template
// (everything escaped), with a strict Content-Security-Policy and no
// script at all; no token, secret or payload beyond the audit events'
// own fields is ever rendered.
package timeline
