package scim

import (
	"maps"
	"strings"
)

// projection applies the attributes and excludedAttributes of a request
// (RFC 7644 3.9 and 3.4.2.5). Names are in standard attribute notation:
// userName, name.givenName, emails.value, meta.created, a URN-qualified
// attribute, or an extension's URN for the whole extension. A value path
// (emails[type eq "work"], emails[type eq "work"].value), which clients send
// although RFC 7644 does not define it there, selects the matching
// elements. Names of no attribute select nothing. id and schemas are always
// returned.
type projection struct {
	only, excluded []selector
	hasOnly        bool
}

// selector is one name of attributes or excludedAttributes.
type selector struct {
	ext   string // schema of a, "" for the core schema
	whole string // an extension selected whole by its URN (a is nil)
	a     *attr
	sub   *attr // a sub-attribute of a, or nil for all of it
	x     expr  // a value filter on the elements of a multi-valued a, or nil
}

func (s *resourceSchema) parseProjection(only, excluded []string) (projection, error) {
	var p projection
	for _, list := range []struct {
		names []string
		dst   *[]selector
	}{{only, &p.only}, {excluded, &p.excluded}} {
		for _, name := range list.names {
			sel, ok, err := s.selector(strings.TrimSpace(name))
			if err != nil {
				return p, err
			}
			if ok {
				*list.dst = append(*list.dst, sel)
			}
		}
	}
	p.hasOnly = len(only) > 0
	return p, nil
}

// selector resolves one name; ok is false for a name of no attribute.
func (s *resourceSchema) selector(name string) (sel selector, ok bool, err error) {
	if name == "" {
		return sel, false, nil
	}
	if e := s.extension(name); e != nil {
		return selector{whole: e.urn}, true, nil
	}
	path, inner, sub := name, "", ""
	if open := strings.IndexByte(name, '['); open >= 0 {
		if len(name) > maxFilterLength || nestingDepth(name) > maxFilterDepth {
			return sel, false, badRequest(typeInvalidFilter, "the value filter of %.40q is too long or too deep", name)
		}
		close, err := closingBracket(name, open)
		if err != nil {
			return sel, false, err
		}
		path, inner, sub = name[:open], name[open+1:close], name[close+1:]
		if sub != "" && (sub[0] != '.' || !isAttrName(sub[1:])) {
			return sel, false, badRequest(typeInvalidValue, "%.40q is not an attribute name", name)
		}
		sub = strings.TrimPrefix(sub, ".")
	}
	p, err := parsePath(path)
	if err != nil || p.ValueExpression != nil {
		return sel, false, nil
	}
	sel.ext, sel.a = s.lookupFilter(p.AttributePath.URI(), p.AttributePath.AttributeName)
	if sel.a == nil {
		return sel, false, nil
	}
	if n := p.AttributePath.SubAttributeName(); n != "" {
		if sub != "" {
			return sel, false, nil
		}
		sub = n
	}
	if sub != "" {
		if sel.sub = sel.a.sub(sub); sel.sub == nil {
			return sel, false, nil
		}
	}
	if inner != "" {
		if !sel.a.multi || !sel.a.complex() {
			return sel, false, badRequest(typeInvalidFilter, "%s is not a multi-valued complex attribute", sel.a.name)
		}
		ast, err := parseExpression(inner)
		if err != nil {
			return sel, false, err
		}
		c := &filterCompiler{s: s}
		if sel.x, err = c.compile(ast, sel.a); err != nil {
			return sel, false, err
		}
	}
	return sel, true, nil
}

func isAttrName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// wants reports whether a response may hold the core attribute name, so
// that a list can skip loading what it would drop (a group's members).
func (p projection) wants(name string) bool {
	named := func(sel selector) bool { return sel.a != nil && sel.ext == "" && strings.EqualFold(sel.a.name, name) }
	for _, sel := range p.excluded {
		if named(sel) && sel.sub == nil && sel.x == nil {
			return false
		}
	}
	if !p.hasOnly {
		return true
	}
	for _, sel := range p.only {
		if named(sel) {
			return true
		}
	}
	return false
}

// apply returns the resource m as the request asks for it.
func (p projection) apply(m map[string]any) map[string]any {
	if p.hasOnly {
		out := map[string]any{}
		for _, k := range []string{"id", "schemas"} {
			if v, ok := m[k]; ok {
				out[k] = v
			}
		}
		for _, g := range groupSelectors(p.only) {
			g.copy(m, out)
		}
		m = out
	}
	for _, sel := range p.excluded {
		sel.remove(m)
	}
	return m
}

// selection is the selectors of one attribute, merged.
type selection struct {
	selector
	all  []selector
	full bool // some selector takes the attribute whole
}

func groupSelectors(sels []selector) []*selection {
	var out []*selection
	index := map[string]*selection{}
	for _, sel := range sels {
		key := sel.whole
		if sel.a != nil {
			key = sel.ext + "\x00" + sel.a.name
		}
		g := index[key]
		if g == nil {
			g = &selection{selector: sel}
			index[key] = g
			out = append(out, g)
		}
		g.all = append(g.all, sel)
		g.full = g.full || sel.sub == nil && sel.x == nil
	}
	return out
}

// copy copies what the selection takes from the resource from into to.
func (g *selection) copy(from, to map[string]any) {
	if g.whole != "" {
		if v, ok := from[g.whole]; ok {
			to[g.whole] = v
		}
		return
	}
	src := container(from, g.ext, false)
	v, ok := src[g.a.name]
	if !ok {
		return
	}
	if !g.full {
		if v = g.pick(v); v == nil {
			return
		}
	}
	container(to, g.ext, true)[g.a.name] = v
}

// pick returns the parts of v (a complex value, or a list of them) that
// the selectors take, or nil for none.
func (g *selection) pick(v any) any {
	project := func(obj map[string]any) map[string]any {
		out := map[string]any{}
		for _, sel := range g.all {
			switch {
			case sel.x != nil && !eval(sel.x, obj):
			case sel.sub == nil:
				maps.Copy(out, obj)
			default:
				if sv, ok := obj[sel.sub.name]; ok {
					out[sel.sub.name] = sv
				}
			}
		}
		return out
	}
	if !g.a.multi {
		obj, _ := v.(map[string]any)
		if out := project(obj); len(out) > 0 {
			return out
		}
		return nil
	}
	var list []any
	for _, el := range elements(v) {
		if obj, ok := el.(map[string]any); ok {
			if out := project(obj); len(out) > 0 {
				list = append(list, out)
			}
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list
}

// remove removes what the selector names from m. id never goes.
func (sel selector) remove(m map[string]any) {
	if sel.whole != "" {
		delete(m, sel.whole)
		return
	}
	if sel.ext == "" && sel.a.name == "id" {
		return
	}
	c := container(m, sel.ext, false)
	if c == nil {
		return
	}
	defer dropEmpty(m, sel.ext)
	v, ok := c[sel.a.name]
	if !ok {
		return
	}
	if sel.sub == nil && sel.x == nil {
		delete(c, sel.a.name)
		return
	}
	strip := func(obj map[string]any) map[string]any {
		if sel.x != nil && !eval(sel.x, obj) {
			return obj
		}
		if sel.sub == nil {
			return nil
		}
		out := maps.Clone(obj)
		delete(out, sel.sub.name)
		return out
	}
	if !sel.a.multi {
		obj, _ := v.(map[string]any)
		put(c, sel.a.name, strip(obj))
		return
	}
	var list []any
	for _, el := range elements(v) {
		obj, ok := el.(map[string]any)
		if !ok {
			list = append(list, el)
		} else if out := strip(obj); len(out) > 0 {
			list = append(list, out)
		}
	}
	put(c, sel.a.name, list)
}
