package scim

import "strings"

// isPasswordKey matches "password" and its URN-qualified forms
// ("urn:ietf:params:scim:schemas:core:2.0:User:password"), in any case.
func isPasswordKey(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || strings.HasSuffix(k, ":password")
}

// stripPassword deletes every password member of v, at any depth. Okta
// sends the user's plaintext password on create and replace when password
// sync is on; this endpoint never stores, logs or returns it, so it drops it
// before anything else reads the body.
func stripPassword(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if isPasswordKey(k) {
				delete(x, k)
				continue
			}
			stripPassword(child)
		}
	case []any:
		for _, child := range x {
			stripPassword(child)
		}
	}
}
