// Package decision composes the whole decision on a job request: verify the
// requester's ID token (identity), look the principal up in the directory
// (when enabled), and evaluate the policy on the verified principal.
//
// It is separate from identity and policy because it owns the rules that
// join them: the principal in the policy request always comes from verified
// claims, never from the request body; when the directory is enabled it is
// the authority (an unknown, deactivated or locked principal is denied even
// with a valid token, on every request, cached token or not, and groups come
// from it); a token's groups count only for an issuer trusted for groups
// (they are added to the directory's), and the decision's input snapshot
// says which groups came from where. Decide returns an error only for transient
// failures (issuer, directory or policy unavailable): every denial, including
// a bad token, is an Outcome to audit.
package decision
