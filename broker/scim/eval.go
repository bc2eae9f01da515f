package scim

import (
	"encoding/json"
	"strings"
)

// matchAll reports whether resource m satisfies every condition.
func matchAll(m map[string]any, conds []cond) bool {
	for _, c := range conds {
		if !c.match(m) {
			return false
		}
	}
	return true
}

// match evaluates one condition against a resource (or, for the inner
// conditions of a value path, against one element).
func (c cond) match(m map[string]any) bool {
	v := container(m, c.ext, false)[c.a.name]
	switch {
	case c.inner != nil:
		for _, el := range elements(v) {
			if obj, ok := el.(map[string]any); ok && matchAll(obj, c.inner) {
				return true
			}
		}
		return false
	case c.sub != nil:
		for _, el := range elements(v) {
			if obj, ok := el.(map[string]any); ok && equal(c.sub, obj[c.sub.name], c.value) {
				return true
			}
		}
		return false
	}
	for _, el := range elements(v) {
		if equal(c.a, el, c.value) {
			return true
		}
	}
	return false
}

// elements returns the values of a multi-valued attribute, or the single
// value as a one-element list.
func elements(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	case []map[string]any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = x[i]
		}
		return out
	}
	return []any{v}
}

// equal compares a stored value of attribute a with a filter literal, with
// the attribute's case sensitivity.
func equal(a *attr, got, want any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if a.caseExact {
			return g == w
		}
		return fold(g) == fold(w)
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case float64:
		switch g := got.(type) {
		case json.Number:
			f, err := g.Float64()
			return err == nil && f == w
		case float64:
			return g == w
		}
	}
	return false
}

// fold is the case folding of the store (userName, displayName and e-mail
// addresses compare as folded by strings.ToLower).
func fold(s string) string { return strings.ToLower(s) }
