package scim

import (
	"strings"

	"github.com/elimity-com/scim/schema"
)

// Schema URNs.
const (
	userURN       = schema.UserSchema
	groupURN      = schema.GroupSchema
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchOpURN    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	listURN       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// attr is an attribute definition, read from the elimity-com/scim schemas.
type attr struct {
	name      string // canonical spelling
	typ       string // "string", "boolean", "complex", "reference", "dateTime", "integer", "decimal", "binary"
	multi     bool
	caseExact bool
	readOnly  bool
	required  bool
	subs      []*attr
}

// sub returns the sub-attribute named name (any case), or nil.
func (a *attr) sub(name string) *attr {
	for _, s := range a.subs {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

func (a *attr) complex() bool { return a.typ == "complex" }

// extension is a schema extension of a resource type.
type extension struct {
	urn   string
	attrs []*attr
}

// resourceSchema is what the PATCH engine, the normaliser and the filter
// compiler know of a resource type.
type resourceSchema struct {
	name  string // "User" or "Group"
	urn   string // core schema
	attrs []*attr
	exts  []extension
}

// lookup finds an attribute by name (any case) in the core schema (uri "" or
// the core URN) or in the extension with that URN. ext is "" for the core
// schema and the extension's canonical URN otherwise.
func (s *resourceSchema) lookup(uri, name string) (ext string, a *attr) {
	attrs := s.attrs
	if uri != "" && !strings.EqualFold(uri, s.urn) {
		e := s.extension(uri)
		if e == nil {
			return "", nil
		}
		ext, attrs = e.urn, e.attrs
	}
	for _, a := range attrs {
		if strings.EqualFold(a.name, name) {
			return ext, a
		}
	}
	return "", nil
}

// extension returns the extension with that URN (any case), or nil.
func (s *resourceSchema) extension(urn string) *extension {
	for i := range s.exts {
		if strings.EqualFold(s.exts[i].urn, urn) {
			return &s.exts[i]
		}
	}
	return nil
}

// splitURN splits a URN-qualified attribute name
// ("urn:...:enterprise:2.0:User:department") into the schema URN it names
// and the attribute, if the URN is one of s's schemas.
func (s *resourceSchema) splitURN(key string) (uri, name string, ok bool) {
	i := strings.LastIndexByte(key, ':')
	if i < 0 || !strings.HasPrefix(strings.ToLower(key), "urn:") {
		return "", "", false
	}
	uri, name = key[:i], key[i+1:]
	if strings.EqualFold(uri, s.urn) || s.extension(uri) != nil {
		return uri, name, true
	}
	return "", "", false
}

// fromElimity converts a schema of elimity-com/scim. The password attribute
// is left out: this endpoint never accepts one.
func fromElimity(as schema.Attributes) []*attr {
	var out []*attr
	for _, a := range as {
		if strings.EqualFold(a.Name(), "password") {
			continue
		}
		out = append(out, &attr{
			name: a.Name(), typ: a.AttributeType(), multi: a.MultiValued(), caseExact: a.CaseExact(),
			readOnly: a.Mutability() == "readOnly", required: a.Required(), subs: fromElimity(a.SubAttributes()),
		})
	}
	return out
}

// common are the attributes every resource has (RFC 7643, section 3.1),
// except meta, which is never written or filtered here.
func common() []*attr {
	return []*attr{
		{name: "id", typ: "string", caseExact: true, readOnly: true},
		{name: "externalId", typ: "string", caseExact: true},
	}
}

// metaAttr is the meta attribute (RFC 7643 3.1) as filters, sorting and
// attribute selection see it. It is not among a schema's attrs: it is never
// written, so the PATCH engine and the normaliser do not know it.
var metaAttr = &attr{name: "meta", typ: "complex", readOnly: true, subs: []*attr{
	{name: "resourceType", typ: "string", caseExact: true, readOnly: true},
	{name: "created", typ: "dateTime", readOnly: true},
	{name: "lastModified", typ: "dateTime", readOnly: true},
	{name: "location", typ: "reference", caseExact: true, readOnly: true},
	{name: "version", typ: "string", caseExact: true, readOnly: true},
}}

// lookupFilter is lookup, with meta.
func (s *resourceSchema) lookupFilter(uri, name string) (ext string, a *attr) {
	if strings.EqualFold(name, metaAttr.name) && (uri == "" || strings.EqualFold(uri, s.urn)) {
		return "", metaAttr
	}
	return s.lookup(uri, name)
}

// constant returns the value that every resource has for the sub-attribute
// sub of parent, if the endpoint fixes it: groups are direct, members are
// users, and meta.resourceType is the type's name.
func (s *resourceSchema) constant(parent, sub *attr) *string {
	v := ""
	switch {
	case parent == metaAttr && sub.name == "resourceType":
		v = s.name
	case s.name == "User" && parent.name == "groups" && sub.name == "type":
		v = "direct"
	case s.name == "Group" && parent.name == "members" && sub.name == "type":
		v = "User"
	default:
		return nil
	}
	return &v
}

var (
	userSchema = &resourceSchema{
		name:  "User",
		urn:   userURN,
		attrs: append(common(), fromElimity(schema.CoreUserSchema().Attributes)...),
		exts:  []extension{{urn: enterpriseURN, attrs: fromElimity(schema.ExtensionEnterpriseUser().Attributes)}},
	}
	groupSchema = &resourceSchema{
		name:  "Group",
		urn:   groupURN,
		attrs: append(common(), fromElimity(schema.CoreGroupSchema().Attributes)...),
	}
)
