package identity

// Reasons of verification failures (fault reasons). All are permanent except
// ReasonIssuerUnavailable and ReasonKeyRefreshLimited.
const (
	ReasonMalformed         = "token_malformed"         // not a compact JWS with JSON header and claims
	ReasonAlgNotAllowed     = "token_alg_not_allowed"   // alg none, HS*, or not allowed for the issuer
	ReasonUnknownKey        = "token_unknown_key"       // no key of the issuer's JWKS has the token's key id
	ReasonBadSignature      = "token_bad_signature"     // the signature does not verify
	ReasonIssuerUntrusted   = "token_issuer_untrusted"  // iss is not a configured issuer
	ReasonAudienceMismatch  = "token_audience_mismatch" // aud does not contain the issuer's audience
	ReasonExpired           = "token_expired"           // exp is past (beyond the clock skew)
	ReasonNotYetValid       = "token_not_yet_valid"     // nbf or iat is in the future (beyond the clock skew)
	ReasonMissingClaim      = "token_missing_claim"     // a required claim is absent or empty
	ReasonInvalidClaim      = "token_invalid_claim"     // a claim has the wrong type or value
	ReasonEmailUnverified   = "token_email_unverified"  // the principal is an e-mail the issuer marks unverified
	ReasonIssuerUnavailable = "issuer_unavailable"      // transient: discovery or JWKS unreachable
	// ReasonKeyRefreshLimited (transient): the key id is unknown and the
	// issuer's key set was fetched too recently to fetch it again.
	ReasonKeyRefreshLimited = "issuer_keys_refresh_limited"
)
