package store

import (
	"encoding/json"
	"time"
)

// User is a directory user as provisioned through SCIM.
type User struct {
	ID          string
	UserName    string // unique, case-insensitively
	ExternalID  string
	DisplayName string
	Emails      []Email
	Active      bool
	// Locked denies every request of the user. It is the broker's state,
	// changed by SetUserLocked (for example when the user is deactivated).
	Locked     bool
	LockReason string
	// Attributes is the full SCIM resource as JSON, minus any password; nil
	// or a JSON object.
	Attributes json.RawMessage
	Version    int64 // incremented by every PutUser
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Email is one of a user's e-mail addresses.
type Email struct {
	Value   string
	Type    string // "work", "home", ...
	Primary bool
}

// UserQuery selects users. Empty fields match everything; a non-empty field
// must match exactly, except UserName, Email and DisplayName, which match
// case-insensitively. Offset is 0-based; Limit <= 0 means no limit.
type UserQuery struct {
	UserName    string
	ExternalID  string
	Email       string
	EmailType   string // with Email: only addresses of this type
	DisplayName string
	// Filter, if set, must match too; Sort, if set, orders the list
	// before Offset and Limit apply.
	Filter Filter
	Sort   *Sort
	Offset int
	Limit  int
}

// Group is a directory group as provisioned through SCIM.
type Group struct {
	ID          string
	DisplayName string // unique, case-insensitively
	ExternalID  string
	Members     []string // user ids, sorted
	Version     int64    // incremented by every change, membership included
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// GroupQuery selects groups, like UserQuery. DisplayName matches
// case-insensitively; Member selects the groups with that user id as member.
type GroupQuery struct {
	DisplayName    string
	ExternalID     string
	Member         string
	Filter         Filter
	Sort           *Sort
	ExcludeMembers bool // leave Members nil (SCIM excludedAttributes=members)
	Offset         int
	Limit          int
}
