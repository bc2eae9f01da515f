package identity

import (
	"fmt"
	"regexp"
	"slices"
)

// Ways of linking a verified principal to a directory user
// (DirectoryLink.By).
const (
	// LinkIdentity: an explicit link of the token's issuer and subject to a
	// user, kept in the store (`iis directory import` identities,
	// `iis directory link`).
	LinkIdentity = "identity_link"
	// LinkUserID: the subject is the directory user's id (the broker's own
	// session issuer).
	LinkUserID = "user_id"
	// LinkExternalID: a claim (ExternalIDClaim, default sub) equals the
	// user's SCIM externalId, for the IdP that provisions the directory.
	LinkExternalID = "external_id"
	// LinkUserName: a claim (UserNameClaim, default preferred_username)
	// equals the user's SCIM userName. Only for the IdP that provisions the
	// directory and never lets users pick that claim.
	LinkUserName = "user_name"
	// LinkEmail: the verified e-mail equals the user's userName or primary
	// e-mail address.
	LinkEmail = "email"
)

// DefaultLinks are tried when an issuer names none.
var DefaultLinks = []string{LinkIdentity, LinkEmail}

var allLinks = []string{LinkIdentity, LinkUserID, LinkExternalID, LinkUserName, LinkEmail}

// DirectoryLink says how a token of the issuer finds its directory user.
type DirectoryLink struct {
	// By lists the ways to try, in order (default DefaultLinks). The first
	// that finds exactly one user wins; one that finds several denies.
	By []string
	// ExternalIDClaim is the claim compared with externalId (default sub).
	ExternalIDClaim string
	// UserNameClaim is the claim compared with userName (default
	// preferred_username).
	UserNameClaim string
}

func (l *DirectoryLink) setDefaults() {
	if len(l.By) == 0 {
		l.By = DefaultLinks
	}
	l.ExternalIDClaim = cmpOr(l.ExternalIDClaim, "sub")
	l.UserNameClaim = cmpOr(l.UserNameClaim, "preferred_username")
}

func (l DirectoryLink) validate() error {
	seen := map[string]bool{}
	for _, by := range l.By {
		if !slices.Contains(allLinks, by) {
			return fmt.Errorf("directory.by: %q is not one of %v", by, allLinks)
		}
		if seen[by] {
			return fmt.Errorf("directory.by: %q listed twice", by)
		}
		seen[by] = true
	}
	return nil
}

// Link is what a verified token offers for finding its directory user.
type Link struct {
	By         []string // the ways to try, in order
	ExternalID string   // the ExternalIDClaim's value ("" when absent)
	UserName   string   // the UserNameClaim's value ("" when absent)
}

// Key is the principal's unique key: its issuer and subject (OIDC's own
// unique identifier of an end user, never reassigned within an issuer).
func (p Principal) Key() string { return p.Issuer + "#" + p.Subject }

// Scoped returns value scoped to the issuer, for a principal id that is not
// a verified e-mail: the same subject at two issuers is two principals.
func Scoped(issuer, value string) string { return issuer + "#" + value }

// issuerName is the form of an issuer's short name.
var issuerName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
