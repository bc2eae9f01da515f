package scim

import (
	"net/http"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// target is what a PATCH path designates.
type target struct {
	ext string // schema of a: "" for the core schema
	a   *attr
	sub *attr // a sub-attribute of a, or nil for a itself
	x   expr  // value filter selecting elements of a multi-valued a; nil if none
}

// errUnknownAttr is returned by resolve for a path outside the schemas.
var errUnknownAttr = badRequest(typeInvalidPath, "the path names no attribute of the resource")

// resolve finds the target of a path.
func (s *resourceSchema) resolve(p *filter.Path) (target, error) {
	var t target
	t.ext, t.a = s.lookup(p.AttributePath.URI(), p.AttributePath.AttributeName)
	if t.a == nil {
		return t, errUnknownAttr
	}
	subName := p.AttributePath.SubAttributeName()
	if subName == "" {
		subName = p.SubAttributeName()
	}
	if subName != "" {
		if t.sub = t.a.sub(subName); t.sub == nil {
			return t, errUnknownAttr
		}
	}
	if p.ValueExpression != nil {
		if !t.a.multi || !t.a.complex() {
			return t, badRequest(typeInvalidPath, "%s is not a multi-valued complex attribute", t.a.name)
		}
		c := &filterCompiler{s: s}
		x, err := c.compile(p.ValueExpression, t.a)
		if err != nil {
			return t, err
		}
		t.x = x
	}
	if t.a.readOnly || (t.sub != nil && t.sub.readOnly) {
		return t, errorf(http.StatusBadRequest, typeMutability, "%s is read-only", t.a.name)
	}
	return t, nil
}

// applyPatch applies ops in order to the resource m.
func (s *resourceSchema) applyPatch(m map[string]any, ops []patchOp) error {
	for _, op := range ops {
		if err := s.applyOp(m, op); err != nil {
			return err
		}
	}
	return nil
}

func (s *resourceSchema) applyOp(m map[string]any, op patchOp) error {
	switch {
	case op.ext != "":
		if op.op == opRemove {
			delete(m, op.ext)
			return nil
		}
		obj, ok := op.value.(map[string]any)
		if !ok {
			return badRequest(typeInvalidValue, "the value of %s must be an object", op.ext)
		}
		return s.applyObject(m, op.op, op.ext, obj)
	case op.parsed == nil:
		return s.applyObject(m, op.op, "", op.value.(map[string]any))
	}
	t, err := s.resolve(op.parsed)
	if err != nil {
		return err
	}
	if op.op == opRemove {
		return t.remove(m, op.value)
	}
	return t.set(m, op.op, op.value)
}

// applyObject applies a path-less add or replace: each key of obj is a path
// (a plain, dotted, filtered or URN-qualified attribute name) or a schema
// URN holding that extension's attributes. Keys are applied in sorted order
// so that the outcome does not depend on map order. id, schemas and meta
// are ignored (Okta sends the id), and so are attributes outside the
// schemas and read-only ones, as in a POST.
func (s *resourceSchema) applyObject(m map[string]any, op, ext string, obj map[string]any) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := obj[k]
		switch strings.ToLower(k) {
		case "id", "schemas", "meta":
			continue
		}
		if e := s.extension(k); e != nil && ext == "" {
			inner, ok := v.(map[string]any)
			if !ok {
				return badRequest(typeInvalidValue, "the value of %s must be an object", e.urn)
			}
			if err := s.applyObject(m, op, e.urn, inner); err != nil {
				return err
			}
			continue
		}
		path := k
		if ext != "" {
			path = ext + ":" + k
		}
		p, err := parsePath(path)
		if err != nil {
			return err
		}
		t, err := s.resolve(p)
		switch {
		case err == errUnknownAttr:
			continue
		case err != nil && asError(err).ScimType == typeMutability:
			continue
		case err != nil:
			return err
		}
		if err := t.set(m, op, v); err != nil {
			return err
		}
	}
	return nil
}
