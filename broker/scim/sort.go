package scim

import (
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
)

// parseSort reads sortBy and sortOrder (RFC 7644 3.4.2.3): an attribute in
// standard attribute notation, a sub-attribute for a complex one (a
// multi-valued one sorts by its primary element, else its first), ascending
// unless sortOrder is "descending". sortOrder alone changes nothing.
func (s *resourceSchema) parseSort(sortBy, sortOrder string) (*store.Sort, error) {
	desc := false
	switch strings.ToLower(sortOrder) {
	case "", "ascending":
	case "descending":
		desc = true
	default:
		return nil, badRequest(typeInvalidValue, `sortOrder must be "ascending" or "descending"`)
	}
	if sortBy == "" {
		return nil, nil
	}
	bad := badRequest(typeInvalidValue, "cannot sort by %q: name a single-valued attribute, or a sub-attribute", sortBy)
	p, err := parsePath(sortBy)
	if err != nil || p.ValueExpression != nil || p.SubAttribute != nil {
		return nil, bad
	}
	ext, a := s.lookupFilter(p.AttributePath.URI(), p.AttributePath.AttributeName)
	if a == nil {
		return nil, badRequest(typeInvalidValue, "cannot sort by %q: no such attribute", sortBy)
	}
	target, sub := a, (*attr)(nil)
	if a.complex() {
		name := p.AttributePath.SubAttributeName()
		if name == "" && a.multi {
			name = "value"
		}
		if sub = a.sub(name); sub == nil {
			return nil, bad
		}
		target = sub
	} else if p.AttributePath.SubAttribute != nil {
		return nil, bad
	}
	switch {
	case a == metaAttr && target.typ != "dateTime",
		s.name == "User" && a.name == "groups",
		s.name == "Group" && a.name == "members":
		return nil, badRequest(typeInvalidValue, "cannot sort by %q", sortBy)
	case target.typ == "boolean" && a.name != "active":
		// Only active is kept as a boolean the store can order; others
		// would sort as if they had no value.
		return nil, badRequest(typeInvalidValue, "cannot sort by %q: sort by active, a string or a time", sortBy)
	case target.typ == "complex":
		return nil, bad
	}
	if subs, ok := storedSubs[s.name+"."+a.name]; ok && !strings.Contains(" "+subs+" ", " "+target.name+" ") {
		return nil, badRequest(typeInvalidValue, "cannot sort by %q: the directory does not keep it", sortBy)
	}
	return &store.Sort{Path: storePath(ext, a, sub), Fold: target.typ == "string" && !target.caseExact, Desc: desc}, nil
}
