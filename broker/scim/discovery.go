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

// newDiscovery builds the elimity-com/scim server that answers
// /ServiceProviderConfig, /ResourceTypes and /Schemas. It never sees a
// request for /Users or /Groups: those are served by this package, so the
// resource types carry no handler.
func newDiscovery() (http.Handler, error) {
	user := schema.CoreUserSchema()
	user.Attributes = withoutPassword(user.Attributes)
	srv, err := elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{
			AuthenticationSchemes: []elimity.AuthenticationScheme{{
				Type:        elimity.AuthenticationTypeOauthBearerToken,
				Name:        "OAuth Bearer Token",
				Description: "A long-lived bearer token from the endpoint's configuration, or an OAuth 2.0 client-credentials access token.",
				SpecURI:     optional.NewString("https://www.rfc-editor.org/info/rfc6750"),
				Primary:     true,
			}},
			MaxResults:       maxResults,
			SupportFiltering: true,
			SupportPatch:     true,
		},
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
