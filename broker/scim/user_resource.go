package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/dataproc-iis/iis/broker/store"
)

// maxNameLength bounds userName, displayName and externalId: the identity
// events carry them and allow 256 bytes.
const maxNameLength = 256

// userMap returns the stored form of u's SCIM resource: its Attributes, with
// the indexed columns (which the store keeps in step) written over them.
func userMap(u store.User) map[string]any {
	m := map[string]any{}
	if len(u.Attributes) > 0 {
		dec := json.NewDecoder(bytes.NewReader(u.Attributes))
		dec.UseNumber()
		if dec.Decode(&m) != nil || m == nil {
			m = map[string]any{}
		}
	}
	m["userName"] = u.UserName
	m["active"] = u.Active
	setString(m, "externalId", u.ExternalID)
	setString(m, "displayName", u.DisplayName)
	if _, ok := m["emails"]; !ok && len(u.Emails) > 0 {
		var emails []any
		for _, e := range u.Emails {
			el := map[string]any{"value": e.Value}
			setString(el, "type", e.Type)
			if e.Primary {
				el["primary"] = true
			}
			emails = append(emails, el)
		}
		m["emails"] = emails
	}
	return m
}

func setString(m map[string]any, k, v string) {
	if v == "" {
		delete(m, k)
	} else {
		m[k] = v
	}
}

// userRow builds the store's user from a stored-form resource, checking what
// the directory requires of it.
func userRow(m map[string]any) (store.User, error) {
	u := store.User{}
	u.UserName, _ = m["userName"].(string)
	// Normalised once, here, where it is written: stored, returned and
	// looked up the same ("bob@example.com " is bob@example.com).
	if trimmed := strings.TrimSpace(u.UserName); trimmed != u.UserName {
		u.UserName, m["userName"] = trimmed, trimmed
	}
	u.ExternalID, _ = m["externalId"].(string)
	u.DisplayName, _ = m["displayName"].(string)
	u.Active, _ = m["active"].(bool)
	if strings.TrimSpace(u.UserName) == "" {
		return u, badRequest(typeInvalidValue, "userName is required")
	}
	for name, v := range map[string]string{"userName": u.UserName, "externalId": u.ExternalID, "displayName": u.DisplayName} {
		if err := checkName(name, v); err != nil {
			return u, err
		}
	}
	// An e-mail without an address is dropped from the resource too, so
	// that what filters read (the e-mail table) is what clients see.
	var kept []any
	for _, el := range elements(m["emails"]) {
		obj, _ := el.(map[string]any)
		value, _ := obj["value"].(string)
		if value == "" {
			continue
		}
		kept = append(kept, el)
		typ, _ := obj["type"].(string)
		primary, _ := obj["primary"].(bool)
		u.Emails = append(u.Emails, store.Email{Value: value, Type: typ, Primary: primary})
	}
	put(m, "emails", kept)
	attrs, err := json.Marshal(m)
	if err != nil {
		return u, fmt.Errorf("json.Marshal(user): %w", err)
	}
	u.Attributes = attrs
	return u, nil
}

// checkName refuses a name the directory and the events cannot hold.
func checkName(attr, v string) error {
	if len(v) > maxNameLength {
		return badRequest(typeInvalidValue, "%s is longer than %d bytes", attr, maxNameLength)
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return badRequest(typeInvalidValue, "%s holds a control character or invalid UTF-8", attr)
	}
	return nil
}

// renderUser is the resource returned to the client.
func renderUser(u store.User, groups []store.Group, base string) map[string]any {
	m := userMap(u)
	m["id"] = u.ID
	schemas := []string{userURN}
	if _, ok := m[enterpriseURN]; ok {
		schemas = append(schemas, enterpriseURN)
	}
	m["schemas"] = schemas
	if len(groups) > 0 {
		gs := make([]any, len(groups))
		for i, g := range groups {
			gs[i] = map[string]any{"value": g.ID, "display": g.DisplayName, "$ref": base + "/Groups/" + url.PathEscape(g.ID), "type": "direct"}
		}
		m["groups"] = gs
	}
	m["meta"] = meta("User", base+"/Users/"+url.PathEscape(u.ID), u.CreatedAt, u.UpdatedAt, u.Version)
	return m
}
