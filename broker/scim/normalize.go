package scim

import (
	"bytes"
	"encoding/json"
	"strings"
)

// decodeObject decodes a JSON object, keeping numbers as json.Number.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, badRequest(typeInvalidSyntax, "the body is not a JSON object")
	}
	if dec.More() {
		return nil, badRequest(typeInvalidSyntax, "the body holds data after the JSON object")
	}
	return m, nil
}

// normalize turns a resource sent by a client (POST, PUT) into its stored
// form: canonical attribute names, extension attributes under their schema
// URN, values coerced to their types, null and empty values dropped.
// Read-only attributes (id, meta, groups) and attributes outside the schemas
// are ignored, as RFC 7644 asks of a service provider.
func (s *resourceSchema) normalize(body map[string]any) (map[string]any, error) {
	out := map[string]any{}
	seen := map[string]bool{}
	for k, v := range body {
		lk := strings.ToLower(k)
		if seen[lk] {
			return nil, badRequest(typeInvalidSyntax, "attribute %q appears twice", k)
		}
		seen[lk] = true
		if lk == "schemas" || lk == "meta" {
			continue
		}
		if e := s.extension(k); e != nil {
			obj, ok := v.(map[string]any)
			if v == nil {
				continue
			}
			if !ok {
				return nil, badRequest(typeInvalidValue, "%s must be an object", e.urn)
			}
			for k2, v2 := range obj {
				if err := s.set(out, e.urn, k2, v2); err != nil {
					return nil, err
				}
			}
			continue
		}
		uri, name := "", k
		if u, n, ok := s.splitURN(k); ok {
			uri, name = u, n
		}
		if err := s.set(out, uri, name, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// set stores the coerced value of one attribute of a client's resource.
func (s *resourceSchema) set(out map[string]any, uri, name string, v any) error {
	ext, a := s.lookup(uri, name)
	if a == nil || a.readOnly {
		return nil
	}
	val, ok, err := coerce(a, v)
	if err != nil || !ok {
		return err
	}
	container(out, ext, true)[a.name] = val
	return nil
}

// container returns the map that holds the attributes of schema ext ("" for
// the core schema) in the resource m, creating it if create is set (else it
// may return nil).
func container(m map[string]any, ext string, create bool) map[string]any {
	if ext == "" {
		return m
	}
	c, _ := m[ext].(map[string]any)
	if c == nil && create {
		c = map[string]any{}
		m[ext] = c
	}
	return c
}

// coerce converts a client's value of attribute a to its stored form. It
// reports ok == false for a value that means "no value" (null, "", [] or an
// object with no known sub-attribute).
func coerce(a *attr, v any) (val any, ok bool, err error) {
	if v == nil {
		return nil, false, nil
	}
	if !a.multi {
		return coerceSingle(a, v)
	}
	items, isList := v.([]any)
	if !isList {
		items = []any{v} // a single value where a list is expected
	}
	var out []any
	for _, item := range items {
		val, ok, err := coerceSingle(a, item)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out = append(out, val)
		}
	}
	return out, len(out) > 0, nil
}

// coerceSingle converts one value of attribute a (one element, if a is
// multi-valued).
func coerceSingle(a *attr, v any) (any, bool, error) {
	if v == nil {
		return nil, false, nil
	}
	if !a.complex() {
		return coerceSimple(a, v)
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, sv := range x {
			sa := a.sub(k)
			if sa == nil || sa.readOnly {
				continue // "$ref": null, display names we compute, unknown keys
			}
			val, ok, err := coerceSimple(sa, sv)
			if err != nil {
				return nil, false, err
			}
			if ok {
				out[sa.name] = val
			}
		}
		return out, len(out) > 0, nil
	case []any:
		// Entra ID sends single-valued complex attributes (manager) as a
		// one-element list.
		switch len(x) {
		case 0:
			return nil, false, nil
		case 1:
			return coerceSingle(a, x[0])
		}
		return nil, false, badRequest(typeInvalidValue, "%s is single-valued", a.name)
	case string:
		// A bare value of a complex attribute ("manager": "<id>") is its
		// value sub-attribute.
		if a.sub("value") == nil {
			break
		}
		if x == "" {
			return nil, false, nil
		}
		return map[string]any{"value": x}, true, nil
	}
	return nil, false, badRequest(typeInvalidValue, "%s must be an object", a.name)
}

// coerceSimple converts a value of a simple attribute. Booleans may come as
// the strings "true" and "false" in any case (Entra ID sends "True" and
// "False"); any other string is refused, never read as true.
func coerceSimple(a *attr, v any) (any, bool, error) {
	if v == nil {
		return nil, false, nil
	}
	switch a.typ {
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, true, nil
		case string:
			switch {
			case strings.EqualFold(x, "true"):
				return true, true, nil
			case strings.EqualFold(x, "false"):
				return false, true, nil
			}
		}
		return nil, false, badRequest(typeInvalidValue, "%s must be a boolean", a.name)
	case "integer", "decimal":
		n, ok := v.(json.Number)
		if !ok {
			return nil, false, badRequest(typeInvalidValue, "%s must be a number", a.name)
		}
		if _, err := n.Float64(); err != nil {
			return nil, false, badRequest(typeInvalidValue, "%s must be a number", a.name)
		}
		if a.typ == "integer" {
			if _, err := n.Int64(); err != nil {
				return nil, false, badRequest(typeInvalidValue, "%s must be an integer", a.name)
			}
		}
		return n, true, nil
	case "complex":
		return nil, false, badRequest(typeInvalidValue, "%s cannot be nested", a.name)
	}
	x, ok := v.(string)
	if !ok {
		return nil, false, badRequest(typeInvalidValue, "%s must be a string", a.name)
	}
	if x == "" {
		return nil, false, nil // RFC 7643 2.5: unassigned
	}
	if strings.IndexByte(x, 0) >= 0 {
		// No database column holds NUL, nor can PostgreSQL's jsonb, which
		// the filters read.
		return nil, false, badRequest(typeInvalidValue, "%s holds a NUL character", a.name)
	}
	return x, true, nil
}
