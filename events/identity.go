package events

// User is a directory user as kept by the SCIM endpoint.
type User struct {
	ID          string   `json:"id"`                    // SCIM id
	UserName    string   `json:"user_name"`             // SCIM userName
	ExternalID  string   `json:"external_id,omitempty"` // the IdP's id
	DisplayName string   `json:"display_name,omitempty"`
	Active      bool     `json:"active"`
	Emails      []string `json:"emails,omitempty"`
	Groups      []string `json:"groups,omitempty"` // display names of the user's groups
}

// UserChange is the data of the identity.user.* events (provisioned,
// updated, deactivated, reactivated, deleted). User is the state after the
// change (the last state, for a deletion). Changed names the SCIM attributes
// that changed, never their values.
type UserChange struct {
	User    User     `json:"user"`
	Changed []string `json:"changed,omitempty"` // SCIM attribute names, e.g. "active", "groups"
	Actor   string   `json:"actor,omitempty"`   // SCIM client's configured name, never its token
	Locked  bool     `json:"locked"`            // principal locked in the directory after the change
}

// Group identifies a directory group.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	ExternalID  string `json:"external_id,omitempty"`
}

// Member identifies a user in a membership change.
type Member struct {
	ID       string `json:"id"` // SCIM user id
	UserName string `json:"user_name,omitempty"`
}

// MembershipChange is the data of identity.group.membership_changed.v1. At
// least one of Added and Removed is not empty.
type MembershipChange struct {
	Group   Group    `json:"group"`
	Added   []Member `json:"added,omitempty"`
	Removed []Member `json:"removed,omitempty"`
	Actor   string   `json:"actor,omitempty"` // SCIM client's configured name, never its token
}
