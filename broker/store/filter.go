package store

// Filter selects directory users or groups. It is a tree of And, Or, Not,
// Compare and Any, built by the SCIM endpoint from an RFC 7644 filter and
// translated by the store into parameterised SQL: values travel as query
// arguments, never as SQL text. A nil Filter matches everything.
//
// Attributes are named by their path in the SCIM resource: {"userName"},
// {"name", "givenName"}, {"meta", "lastModified"}, or, for an extension,
// {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
// "manager", "value"}. Paths the store keeps in columns (users: id,
// userName, externalId, displayName, active, emails, groups, meta.created,
// meta.lastModified; groups: id, displayName, externalId, members,
// meta.created, meta.lastModified) are answered from them; any other path of
// a user is read from its Attributes. Groups have no other attribute: a path
// outside that list is ErrInvalid.
//
// A filter deeper than MaxFilterDepth or with more than MaxFilterTerms
// comparisons is ErrInvalid, whatever built it.
type Filter interface{ isFilter() }

// Bounds on a Filter.
const (
	MaxFilterDepth = 16
	MaxFilterTerms = 100
)

// And matches what every element matches; an empty And matches everything.
type And []Filter

// Or matches what any element matches; an empty Or matches nothing.
type Or []Filter

// Not matches what F does not match.
type Not struct{ F Filter }

// Compare compares the value at Path with Value.
//
// Value is a string, a bool or a time.Time (for meta.created and
// meta.lastModified), and nil for Pr. Strings compare in Unicode code point
// order, case-insensitively when Fold is set (folded as the directory folds
// userName: strings.ToLower for the columns, the database's lower() for
// values held in Attributes on PostgreSQL). Co, Sw and Ew take Value
// literally: % and _ are not wildcards.
//
// A resource without a value at Path matches Ne and nothing else but Not
// of the others. Pr matches a value that is not null, "", [] or {}.
type Compare struct {
	Path  []string
	Op    Op
	Value any
	Fold  bool
}

// Any matches a resource in which some element of the multi-valued
// attribute at Path matches F. The paths inside F are relative to the
// element ({"type"}, {"value"}); F holds no Any. Elements of emails are
// value, type and primary; of a user's groups, value (the group id) and
// display; of a group's members, value (the user id).
type Any struct {
	Path []string
	F    Filter
}

// Op is a comparison operator of RFC 7644, section 3.4.2.2.
type Op string

// The operators.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
	Pr Op = "pr"
)

// Sort orders a list by the value at Path (RFC 7644, section 3.4.2.3):
// strings in Unicode code point order (of their folded form when Fold is
// set), booleans false first, times oldest first; Desc reverses it.
// Resources without a value come last, and first when Desc. For a
// multi-valued attribute ({"emails", "value"}) the value of the primary
// element counts, else that of the first. Ties keep the default order
// (creation time, then id). Groups and members cannot be sorted by.
type Sort struct {
	Path []string
	Fold bool
	Desc bool
}

func (And) isFilter()     {}
func (Or) isFilter()      {}
func (Not) isFilter()     {}
func (Compare) isFilter() {}
func (Any) isFilter()     {}
