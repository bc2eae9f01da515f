package scim

import (
	"net/url"
	"slices"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
)

// groupMap is the stored form of a group's SCIM resource. The directory
// keeps a group's displayName, externalId and members only.
func groupMap(g store.Group) map[string]any {
	m := map[string]any{"displayName": g.DisplayName}
	setString(m, "externalId", g.ExternalID)
	if len(g.Members) > 0 {
		ms := make([]any, len(g.Members))
		for i, id := range g.Members {
			ms[i] = map[string]any{"value": id}
		}
		m["members"] = ms
	}
	return m
}

// groupRow builds the store's group from a stored-form resource. Members
// are users: a member of type Group (nesting) is refused.
func groupRow(m map[string]any) (store.Group, error) {
	var g store.Group
	g.DisplayName, _ = m["displayName"].(string)
	g.ExternalID, _ = m["externalId"].(string)
	if strings.TrimSpace(g.DisplayName) == "" {
		return g, badRequest(typeInvalidValue, "displayName is required")
	}
	for name, v := range map[string]string{"displayName": g.DisplayName, "externalId": g.ExternalID} {
		if err := checkName(name, v); err != nil {
			return g, err
		}
	}
	for _, el := range elements(m["members"]) {
		obj, _ := el.(map[string]any)
		id, _ := obj["value"].(string)
		if typ, _ := obj["type"].(string); strings.EqualFold(typ, "Group") {
			return g, badRequest(typeInvalidValue, "groups cannot be members of groups here")
		}
		if !validID(id) {
			return g, badRequest(typeInvalidValue, "a member has no valid value (user id)")
		}
		g.Members = append(g.Members, id)
	}
	slices.Sort(g.Members)
	g.Members = slices.Compact(g.Members)
	return g, nil
}

// renderGroup is the resource returned to the client; withMembers false
// leaves the members out (excludedAttributes=members).
func renderGroup(g store.Group, base string, withMembers bool) map[string]any {
	m := map[string]any{"id": g.ID, "schemas": []string{groupURN}, "displayName": g.DisplayName}
	setString(m, "externalId", g.ExternalID)
	if withMembers {
		ms := make([]any, len(g.Members))
		for i, id := range g.Members {
			ms[i] = map[string]any{"value": id, "$ref": base + "/Users/" + url.PathEscape(id), "type": "User"}
		}
		m["members"] = ms
	}
	m["meta"] = meta("Group", base+"/Groups/"+url.PathEscape(g.ID), g.CreatedAt, g.UpdatedAt, g.Version)
	return m
}
