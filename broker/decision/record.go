package decision

import "github.com/dataproc-iis/iis/broker/identity"

// DirectoryField is a field of the directory entry in identity facts (as
// Identity.Facts, or a decision's input "identity"); "" without one.
func DirectoryField(facts map[string]any, name string) string {
	if dir, ok := facts["directory"].(map[string]any); ok {
		v, _ := dir[name].(string)
		return v
	}
	return ""
}

// RecordName is who a decision is recorded against: the directory's name
// for the principal when the directory found one (so that the leaver
// cascade and the in-flight check find the jobs, grants and clusters
// whatever claim the issuer maps the principal from), else the verified
// principal, else the token's fingerprint when the token did not verify.
func RecordName(facts map[string]any, principal, token string) string {
	if name := DirectoryField(facts, "user_name"); name != "" {
		return name
	}
	if principal != "" {
		return principal
	}
	return "unverified:" + identity.Fingerprint(token)
}

// RecordName is RecordName for this identity.
func (id Identity) RecordName(token string) string { return RecordName(id.Facts, id.Token.ID, token) }

// DirectoryField is DirectoryField of this identity's facts.
func (id Identity) DirectoryField(name string) string { return DirectoryField(id.Facts, name) }
