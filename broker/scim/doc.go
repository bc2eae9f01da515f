// Package scim is the SCIM 2.0 provisioning endpoint (RFC 7643, RFC 7644)
// through which identity providers such as Okta and Microsoft Entra ID keep
// the broker's directory: joiners, movers and leavers.
//
// The Server is an http.Handler with a front layer that authenticates the
// client (bearer tokens compared in constant time, or OAuth 2.0
// client-credentials JWTs checked by go-oidc against a key set whose
// fetches are rate limited), limits request bodies and per-client request
// rates, normalises the request path and strips any password from the body
// before anything else reads it. Discovery (/ResourceTypes, /Schemas), the
// schema definitions and the SCIM error body come from
// github.com/elimity-com/scim; /Users, /Groups, .search and
// /ServiceProviderConfig are served here, because the quirks real identity
// providers send in PATCH requests and the need to push filters and sorting
// down to the store do not fit that library's resource handlers.
//
// Filters (the whole RFC 7644 language) are parsed with
// github.com/scim2/filter-parser/v2 and compiled against the schemas into
// one expression with two readings that must agree: a store.Filter, which
// the store turns into parameterised SQL for a list, and eval, which
// selects elements for PATCH paths and attribute selection.
//
// Every write runs in one store transaction that reads the current resource,
// applies the change, writes it, and derives its effects from the difference
// between the old and the new stored state: the principal's lock or unlock
// and the identity CloudEvents (provisioned, updated, deactivated,
// reactivated, deleted, group membership changed), enqueued in the outbox of
// that same transaction. A leaver is therefore locked when the SCIM call
// returns, and the event that drives the revocation cascade cannot be lost.
package scim
