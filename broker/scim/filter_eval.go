package scim

import (
	"encoding/json"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// eval reports whether the resource m (or, inside a value filter, the
// element m) satisfies x. It means what the store's translation of x means:
// a missing value matches ne and nothing else, "" is no value, strings fold
// as the directory folds them where the attribute is not caseExact and
// order by code point, times compare as rendered.
func eval(x expr, m map[string]any) bool {
	switch x := x.(type) {
	case andExpr:
		for _, y := range x {
			if !eval(y, m) {
				return false
			}
		}
		return true
	case orExpr:
		for _, y := range x {
			if eval(y, m) {
				return true
			}
		}
		return false
	case notExpr:
		return !eval(x.x, m)
	case constExpr:
		return bool(x)
	case anyExpr:
		for _, el := range elements(container(m, x.ext, false)[x.a.name]) {
			if obj, ok := el.(map[string]any); ok && eval(x.x, obj) {
				return true
			}
		}
		return false
	case cmpExpr:
		v, target := container(m, x.ext, false)[x.a.name], x.a
		if x.sub != nil {
			obj, _ := v.(map[string]any)
			v, target = obj[x.sub.name], x.sub
		}
		return compareValue(target, x.op, v, x.value)
	}
	return false
}

// compareValue compares a value of attribute a with a filter literal.
func compareValue(a *attr, op filter.CompareOperator, got, want any) bool {
	if op == filter.PR {
		return present(got)
	}
	if !present(got) {
		return op == filter.NE
	}
	c, ok := order(a, got, want)
	if !ok {
		return op == filter.NE
	}
	switch op {
	case filter.EQ:
		return c == 0
	case filter.NE:
		return c != 0
	case filter.GT:
		return c > 0
	case filter.GE:
		return c >= 0
	case filter.LT:
		return c < 0
	case filter.LE:
		return c <= 0
	}
	g, w := got.(string), want.(string) // co, sw and ew compare strings only
	if !a.caseExact {
		g, w = fold(g), fold(w)
	}
	switch op {
	case filter.CO:
		return strings.Contains(g, w)
	case filter.SW:
		return strings.HasPrefix(g, w)
	case filter.EW:
		return strings.HasSuffix(g, w)
	}
	return false
}

// order compares got with want (-1, 0, 1), and reports false when got is
// not of want's type.
func order(a *attr, got, want any) (int, bool) {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		if !ok {
			return 0, false
		}
		if !a.caseExact {
			g, w = fold(g), fold(w)
		}
		return strings.Compare(g, w), true
	case bool:
		g, ok := got.(bool)
		switch {
		case !ok:
			return 0, false
		case g == w:
			return 0, true
		case w:
			return -1, true
		}
		return 1, true
	case time.Time:
		s, ok := got.(string)
		if !ok {
			return 0, false
		}
		g, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, false
		}
		return g.Compare(w), true
	case float64:
		var g float64
		switch x := got.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return 0, false
			}
			g = f
		case float64:
			g = x
		default:
			return 0, false
		}
		switch {
		case g < w:
			return -1, true
		case g > w:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// present reports whether v is a value: not null, "", [] or {}.
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// equal compares a stored value of attribute a with a literal, with the
// attribute's case sensitivity.
func equal(a *attr, got, want any) bool {
	return compareValue(a, filter.EQ, got, want)
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

// fold is the case folding of the store (userName, displayName and e-mail
// addresses compare as folded by strings.ToLower).
func fold(s string) string { return strings.ToLower(s) }
