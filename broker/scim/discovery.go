package scim

import (
	"net/http"

	elimity "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// maxResults is the largest page served (ServiceProviderConfig
// filter.maxResults); a larger count is reduced to it.
const maxResults = 200

// serviceProviderConfig is the ServiceProviderConfig resource (RFC 7643
// section 5): exactly what this endpoint does. It is served here rather
// than by elimity-com/scim, which cannot say that sorting is supported.
// Filters are the whole RFC 7644 language (docs/scim.md lists it), within
// maxResults per page; ETags are sent but If-Match is not evaluated, so etag
// is not claimed.
func serviceProviderConfig(base string) map[string]any {
	return map[string]any{
		"schemas":        []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"patch":          map[string]any{"supported": true},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": true},
		"etag":           map[string]any{"supported": false},
		"authenticationSchemes": []any{map[string]any{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "A long-lived bearer token from the endpoint's configuration, or an OAuth 2.0 client-credentials access token.",
			"specUri":     "https://www.rfc-editor.org/info/rfc6750",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     base + "/ServiceProviderConfig",
		},
	}
}

// newDiscovery builds the elimity-com/scim server that answers
// /ResourceTypes and /Schemas. It never sees a request for /Users or
// /Groups: those are served by this package, so the resource types carry no
// handler.
func newDiscovery() (http.Handler, error) {
	user := schema.CoreUserSchema()
	user.Attributes = withoutPassword(user.Attributes)
	srv, err := elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{MaxResults: maxResults},
		ResourceTypes: []elimity.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
				Description: optional.NewString("User Account"),
				Schema:      user,
				SchemaExtensions: []elimity.SchemaExtension{
					{Schema: schema.ExtensionEnterpriseUser()},
				},
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
				Description: optional.NewString("Group"),
				Schema:      schema.CoreGroupSchema(),
			},
		},
	})
	if err != nil {
		return nil, err
	}
	return srv, nil
}

// withoutPassword removes the password attribute: this endpoint does not
// take one, so it does not advertise it.
func withoutPassword(as schema.Attributes) schema.Attributes {
	var out schema.Attributes
	for _, a := range as {
		if a.Name() != "password" {
			out = append(out, a)
		}
	}
	return out
}
