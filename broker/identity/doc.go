// Package identity verifies the OIDC ID tokens that requesters attach to job
// requests and maps their claims to a Principal.
//
// Several issuers can be trusted, each with its own broker-specific audience,
// allowed signature algorithms (never "none" or HS*), bounded clock skew and
// claims mapping (principal id, e-mail, groups, and whether the requester is
// a human or a workload). Discovery uses go-oidc (oidc.NewProvider) and runs
// lazily, so an issuer that is down at start does not stop the worker:
// its tokens fail with the transient reason issuer_unavailable until it is
// back.
//
// The JWKS cache and the signature check are done here rather than by
// go-oidc's RemoteKeySet and IDTokenVerifier, for three reasons: every
// failure must carry its own classified reason (go-oidc reports most of them
// as plain strings), a refresh of the key set must be rate limited per
// issuer (RemoteKeySet refetches on every unknown key id and on every bad
// signature, which lets anyone make us hammer the issuer), and a fresh token
// must cost little more than its signature check (the token is parsed
// once). Keys are go-jose JSONWebKeys; signatures are checked with the
// standard library's crypto, the algorithm bound to the key type.
//
// The unverified header and payload are only used to route a token (its
// issuer, algorithm and key id); nothing in them is trusted before the
// signature checks out. Verified tokens are cached by their SHA-256, never
// beyond their expiry. Every failure is a fault error: permanent with a
// token_* reason for a bad token, transient issuer_unavailable when the
// issuer cannot be reached. The token itself is never logged or returned;
// Fingerprint identifies it.
package identity
