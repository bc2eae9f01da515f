package sqlstore

import "strings"

// kind is the type of a value a filter compares.
type kind int

const (
	kindText kind = iota
	kindBool
	kindTime
)

// field is a value kept in a column.
type field struct {
	kind kind
	col  string // the value as stored
	key  string // its folded form (foldKey), "" if the store keeps none
	// optional: "" means no value (externalId, displayName, e-mail type);
	// else the column always holds one.
	optional bool
}

// multi is a multi-valued attribute kept in a table of its own.
type multi struct {
	// from is the FROM clause (with its WHERE) selecting the elements of
	// the outer row.
	from   string
	fields map[string]field // by lower-cased sub-attribute name
	// first orders the elements so that the primary one, else the first,
	// comes first; "" if the attribute cannot be sorted by.
	first string
}

// resource is what a filter knows of a table of the directory.
type resource struct {
	name   string
	table  string
	fields map[string]field // by lower-cased dotted path
	multis map[string]multi // by lower-cased attribute name
	doc    bool             // rows keep their SCIM resource as JSON
}

var userResource = &resource{
	name:  "user",
	table: "dir_users",
	fields: map[string]field{
		"id":                {kind: kindText, col: "dir_users.id"},
		"username":          {kind: kindText, col: "dir_users.user_name", key: "dir_users.user_name_key"},
		"externalid":        {kind: kindText, col: "dir_users.external_id", optional: true},
		"displayname":       {kind: kindText, col: "dir_users.display_name", key: "dir_users.display_name_key", optional: true},
		"active":            {kind: kindBool, col: "dir_users.active"},
		"meta.created":      {kind: kindTime, col: "dir_users.created_at"},
		"meta.lastmodified": {kind: kindTime, col: "dir_users.updated_at"},
	},
	multis: map[string]multi{
		"emails": {
			from: "dir_user_emails e WHERE e.user_id = dir_users.id",
			fields: map[string]field{
				"value":   {kind: kindText, col: "e.value", key: "e.value_key"},
				"type":    {kind: kindText, col: "e.type", key: "e.type_key", optional: true},
				"primary": {kind: kindBool, col: "e.is_primary"},
			},
			first: "e.is_primary DESC, e.position",
		},
		"groups": {
			from: "dir_members m JOIN dir_groups g ON g.id = m.group_id WHERE m.user_id = dir_users.id",
			fields: map[string]field{
				"value":   {kind: kindText, col: "g.id"},
				"display": {kind: kindText, col: "g.display_name", key: "g.display_name_key"},
			},
		},
	},
	doc: true,
}

var groupResource = &resource{
	name:  "group",
	table: "dir_groups",
	fields: map[string]field{
		"id":                {kind: kindText, col: "dir_groups.id"},
		"displayname":       {kind: kindText, col: "dir_groups.display_name", key: "dir_groups.display_name_key"},
		"externalid":        {kind: kindText, col: "dir_groups.external_id", optional: true},
		"meta.created":      {kind: kindTime, col: "dir_groups.created_at"},
		"meta.lastmodified": {kind: kindTime, col: "dir_groups.updated_at"},
	},
	multis: map[string]multi{
		"members": {
			from:   "dir_members m WHERE m.group_id = dir_groups.id",
			fields: map[string]field{"value": {kind: kindText, col: "m.user_id"}},
		},
	},
}

// pathKey is the lookup key of a path in the field and multi maps.
func pathKey(path []string) string { return strings.ToLower(strings.Join(path, ".")) }
