package decision

import (
	"context"
	"errors"

	"github.com/dataproc-iis/iis/broker/identity"
)

// Directory is the authority on principals: the store's users and groups
// (filled by SCIM or `iis directory import`).
type Directory interface {
	// Lookup returns the directory entry of a verified principal, found by
	// the links its issuer allows (p.Link), or an error wrapping
	// ErrNotFound. Any other error is treated as transient unless it is a
	// permanent fault.
	Lookup(ctx context.Context, p identity.Principal) (Entry, error)
}

// Entry is a principal as the directory knows it.
type Entry struct {
	UserID   string
	UserName string // the directory's name for the principal (lower case)
	Email    string // the user's primary e-mail address (lower case), or ""
	// LinkedBy is the link that found the user (identity.LinkEmail, ...).
	LinkedBy string
	Active   bool // false once deprovisioned (leaver)
	Locked   bool // set by a leaver or an admin; a locked principal is denied
	Groups   []string
}

// ErrNotFound is returned (wrapped) by Directory.Lookup when the principal is
// not in the directory.
var ErrNotFound = errors.New("principal not in the directory")

// Reasons of denials decided here (besides identity's token_* reasons and
// policy's reason codes).
const (
	ReasonPrincipalUnknown  = "principal_unknown"  // not in the directory
	ReasonPrincipalInactive = "principal_inactive" // deactivated in the directory
	ReasonPrincipalLocked   = "principal_locked"   // locked in the directory
	// Transient reasons of Decide's errors.
	ReasonDirectoryUnavailable = "directory_unavailable"
	ReasonPolicyUnavailable    = "policy_unavailable"
)
