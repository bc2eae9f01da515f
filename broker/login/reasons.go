package login

import (
	"fmt"
	"net/http"
)

// Stages of a login at which it can be refused (LoginFailure.Stage).
const (
	StageStart    = "start"
	StageIdP      = "idp_response"
	StageDir      = "directory"
	StageExchange = "exchange"
	StageRefresh  = "refresh"
)

// Reasons of refusals, audited in login.failed. Each names the one check
// that refused.
const (
	ReasonUnknownIdP        = "idp_unknown"                  // no such configured IdP
	ReasonIdPUnavailable    = "idp_unavailable"              // discovery, metadata or token endpoint unreachable
	ReasonRedirectURI       = "redirect_uri_invalid"         // not a loopback http URI, or not the one the flow started with
	ReasonBadRequest        = "request_invalid"              // a required parameter is missing or malformed
	ReasonFlowUnknown       = "flow_unknown"                 // no flow has this state, RelayState or code
	ReasonFlowExpired       = "flow_expired"                 // the flow is older than its TTL
	ReasonFlowUsed          = "flow_used"                    // the flow already went past this step (replayed callback)
	ReasonIdPError          = "idp_error"                    // the IdP answered with an error (the person cancelled, ...)
	ReasonOIDCState         = "oidc_state_mismatch"          // the callback's state names no pending OIDC flow of this IdP
	ReasonOIDCCodeReplayed  = "oidc_code_replayed"           // this authorization code was already presented
	ReasonOIDCExchange      = "oidc_exchange_failed"         // the IdP refused the code (wrong or missing PKCE verifier, expired)
	ReasonOIDCTokenInvalid  = "oidc_id_token_invalid"        // signature, issuer, audience or expiry of the ID token
	ReasonOIDCNonce         = "oidc_nonce_mismatch"          // the ID token's nonce is not the flow's
	ReasonEmailUnverified   = "email_unverified"             // the IdP does not vouch for the e-mail
	ReasonNoPrincipal       = "principal_missing"            // the IdP's response names nobody
	ReasonSAMLMalformed     = "saml_malformed"               // not a well-formed SAML Response
	ReasonSAMLComment       = "saml_xml_comment"             // XML comments or processing instructions (NameID truncation attacks)
	ReasonSAMLUnsigned      = "saml_unsigned"                // neither the Response nor the Assertion is signed
	ReasonSAMLSignature     = "saml_signature_invalid"       // a signature does not verify, covers another element, or is by an untrusted key
	ReasonSAMLAudience      = "saml_audience_mismatch"       // the assertion is for another SP
	ReasonSAMLExpired       = "saml_expired"                 // NotOnOrAfter (plus skew) has passed
	ReasonSAMLNotYetValid   = "saml_not_yet_valid"           // NotBefore (minus skew) is in the future
	ReasonSAMLUnsolicited   = "saml_unsolicited"             // no InResponseTo: IdP-initiated login is never accepted
	ReasonSAMLInResponseTo  = "saml_in_response_to_mismatch" // InResponseTo names another request
	ReasonSAMLReplayed      = "saml_replayed"                // the assertion id was already used
	ReasonSAMLIssuer        = "saml_issuer_mismatch"         // not the IdP of the metadata
	ReasonSAMLDestination   = "saml_destination_mismatch"    // not addressed to this ACS
	ReasonSAMLStatus        = "saml_status"                  // the IdP reported a failure status
	ReasonSAMLInvalid       = "saml_invalid"                 // any other check of the SAML library
	ReasonPrincipalUnknown  = "principal_unknown"            // not in the directory
	ReasonPrincipalInactive = "principal_inactive"           // deactivated in the directory
	ReasonPrincipalLocked   = "principal_locked"             // locked in the directory
	ReasonAmbiguous         = "principal_ambiguous"          // the e-mail belongs to several users
	ReasonPKCEMissing       = "pkce_verifier_missing"        // the exchange carries no code_verifier
	ReasonPKCEMismatch      = "pkce_verifier_mismatch"       // the code_verifier does not match the challenge
	ReasonCodeReplayed      = "code_replayed"                // the one-time code was already exchanged
	ReasonSessionInvalid    = "session_invalid"              // a refresh presented no valid session of this broker
	ReasonLoginTooOld       = "login_too_old"                // 12h since the person authenticated: log in again
	ReasonDeviceDenied      = "device_denied"                // the device flow's login was refused
)

// refusal is a refused step: audited as login.failed, answered with status
// and an OAuth-style error code.
type refusal struct {
	stage, reason, msg string
	status             int
	oauth              string // OAuth 2.0 error code for the token endpoint
}

func (r *refusal) Error() string { return r.reason + ": " + r.msg }

func refuse(stage, reason string, status int, format string, args ...any) *refusal {
	return &refusal{stage: stage, reason: reason, status: status, msg: fmt.Sprintf(format, args...), oauth: "invalid_request"}
}

// grantRefusal is a refused token request (400 invalid_grant).
func grantRefusal(stage, reason, format string, args ...any) *refusal {
	r := refuse(stage, reason, http.StatusBadRequest, format, args...)
	r.oauth = "invalid_grant"
	return r
}
