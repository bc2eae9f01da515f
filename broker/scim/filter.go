package scim

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// Limits on a filter; beyond them it is refused as invalidFilter.
const (
	maxFilterLength = 1024
	maxFilterTerms  = 16
)

// cond is one compiled "eq" comparison of a filter; a filter is a
// conjunction of conds. Only eq and and are accepted: every other operator
// is refused as invalidFilter rather than half-supported.
type cond struct {
	ext   string // schema of a: "" for the core schema
	a     *attr
	sub   *attr  // the sub-attribute compared, for a complex a
	inner []cond // for a value path (emails[type eq "work" and value eq "x"]): conditions on one element
	value any    // string, bool or float64
}

// parseFilter compiles a filter of the resource type s. The filter text is
// only ever read by the parser; the compiled conditions are evaluated in Go
// or passed to the store as typed query fields, never as SQL.
func parseFilter(s *resourceSchema, raw string) (conds []cond, err error) {
	if len(raw) > maxFilterLength {
		return nil, badRequest(typeInvalidFilter, "the filter is longer than %d bytes", maxFilterLength)
	}
	if !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, badRequest(typeInvalidFilter, "the filter holds a control character or invalid UTF-8")
	}
	expr, err := parseExpression(rewriteValuePaths(raw))
	if err != nil {
		return nil, err
	}
	conds, err = s.compile(expr, nil)
	if err != nil {
		return nil, err
	}
	if len(conds) > maxFilterTerms {
		return nil, badRequest(typeInvalidFilter, "the filter has more than %d comparisons", maxFilterTerms)
	}
	return conds, nil
}

// parseExpression runs the filter parser, turning any failure (or panic of
// the parser on hostile input) into invalidFilter.
func parseExpression(raw string) (expr filter.Expression, err error) {
	defer func() {
		if recover() != nil {
			expr, err = nil, badRequest(typeInvalidFilter, "the filter cannot be parsed")
		}
	}()
	expr, err = filter.ParseFilter([]byte(raw))
	if err != nil || expr == nil {
		return nil, badRequest(typeInvalidFilter, "the filter cannot be parsed")
	}
	return expr, nil
}

// compile flattens expr into conditions. elem is the multi-valued attribute
// whose elements a value filter tests, or nil at the top level.
func (s *resourceSchema) compile(expr filter.Expression, elem *attr) ([]cond, error) {
	switch e := expr.(type) {
	case *filter.LogicalExpression:
		if !strings.EqualFold(string(e.Operator), string(filter.AND)) {
			return nil, badRequest(typeInvalidFilter, "operator %q is not supported: use eq and and", e.Operator)
		}
		left, err := s.compile(e.Left, elem)
		if err != nil {
			return nil, err
		}
		right, err := s.compile(e.Right, elem)
		if err != nil {
			return nil, err
		}
		return append(left, right...), nil
	case *filter.AttributeExpression:
		c, err := s.compare(e, elem)
		if err != nil {
			return nil, err
		}
		return []cond{c}, nil
	case *filter.ValuePath:
		if elem != nil {
			return nil, badRequest(typeInvalidFilter, "value filters cannot nest")
		}
		ext, a := s.lookup(e.AttributePath.URI(), e.AttributePath.AttributeName)
		if a == nil || !a.multi || !a.complex() || e.AttributePath.SubAttribute != nil {
			return nil, badRequest(typeInvalidFilter, "%s is not a multi-valued complex attribute", e.AttributePath)
		}
		inner, err := s.compile(e.ValueFilter, a)
		if err != nil {
			return nil, err
		}
		return []cond{{ext: ext, a: a, inner: inner}}, nil
	}
	return nil, badRequest(typeInvalidFilter, "only eq and and are supported")
}

// compare compiles one attribute comparison.
func (s *resourceSchema) compare(e *filter.AttributeExpression, elem *attr) (cond, error) {
	if !strings.EqualFold(string(e.Operator), string(filter.EQ)) {
		return cond{}, badRequest(typeInvalidFilter, "operator %q is not supported: use eq and and", e.Operator)
	}
	p := e.AttributePath
	var c cond
	if elem != nil {
		if p.URIPrefix != nil || p.SubAttribute != nil {
			return cond{}, badRequest(typeInvalidFilter, "%s is not a sub-attribute of %s", p, elem.name)
		}
		c.a = elem.sub(p.AttributeName)
	} else {
		c.ext, c.a = s.lookup(p.URI(), p.AttributeName)
	}
	if c.a == nil {
		return cond{}, badRequest(typeInvalidFilter, "unknown attribute %s", p)
	}
	if c.a.complex() {
		// A complex attribute without a sub-attribute is compared on its
		// value (RFC 7644 3.4.2.2): members eq "<id>".
		name := p.SubAttributeName()
		if name == "" {
			name = "value"
		}
		if c.sub = c.a.sub(name); c.sub == nil {
			return cond{}, badRequest(typeInvalidFilter, "unknown attribute %s", p)
		}
	} else if p.SubAttribute != nil {
		return cond{}, badRequest(typeInvalidFilter, "%s has no sub-attributes", c.a.name)
	}
	target := c.a
	if c.sub != nil {
		target = c.sub
	}
	v, err := compareValue(target, e.CompareValue)
	if err != nil {
		return cond{}, err
	}
	c.value = v
	return c, nil
}

// compareValue checks the literal of a comparison against the attribute's
// type. The parser leaves string escapes as written; they are decoded here
// with the JSON rules the grammar uses.
func compareValue(a *attr, v any) (any, error) {
	bad := badRequest(typeInvalidFilter, "%s cannot be compared with %v", a.name, v)
	switch x := v.(type) {
	case string:
		if a.typ == "boolean" || a.typ == "integer" || a.typ == "decimal" {
			return nil, bad
		}
		var s string
		if err := json.Unmarshal([]byte(`"`+x+`"`), &s); err != nil {
			return nil, badRequest(typeInvalidFilter, "a string in the filter has a bad escape")
		}
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
			return nil, badRequest(typeInvalidFilter, "the filter holds a control character or invalid UTF-8")
		}
		return s, nil
	case bool:
		if a.typ != "boolean" {
			return nil, bad
		}
		return x, nil
	case int:
		return numberValue(a, float64(x), bad)
	case float64:
		return numberValue(a, x, bad)
	}
	return nil, bad
}

func numberValue(a *attr, f float64, bad error) (any, error) {
	if a.typ != "integer" && a.typ != "decimal" {
		return nil, bad
	}
	return f, nil
}

// rewriteValuePaths turns `attr[filter].sub op value`, the form IdPs use
// for e-mail lookups (emails[type eq "work"].value eq "x"), into the RFC 7644
// grammar's `attr[filter and sub op value]`. It only moves tokens; the
// result is parsed (and refused) like any other filter. (The grammar has no
// parentheses inside brackets; without them the rewrite would change the
// meaning of a filter with "or", which compile refuses anyway.)
func rewriteValuePaths(raw string) string {
	for range maxFilterTerms {
		out, ok := rewriteOne(raw)
		if !ok {
			return raw
		}
		raw = out
	}
	return raw
}

func rewriteOne(raw string) (string, bool) {
	open, inString := -1, false
	for i := 0; i < len(raw); i++ {
		switch ch := raw[i]; {
		case inString && ch == '\\':
			i++ // skip the escaped byte
		case ch == '"':
			inString = !inString
		case inString:
		case ch == '[':
			open = i
		case ch == ']' && open >= 0 && i+1 < len(raw) && raw[i+1] == '.':
			sub, op, val, end, ok := comparisonAfter(raw, i+2)
			if !ok {
				return raw, false
			}
			cmp := sub + " " + op
			if val != "" {
				cmp += " " + val
			}
			return fmt.Sprintf("%s and %s]%s", raw[:i], cmp, raw[end:]), true
		}
	}
	return raw, false
}

// comparisonAfter reads `sub op value` starting at i (just after the dot).
func comparisonAfter(raw string, i int) (sub, op, val string, end int, ok bool) {
	word := func(i int) (string, int) {
		j := i
		for j < len(raw) && (isNameChar(raw[j])) {
			j++
		}
		return raw[i:j], j
	}
	space := func(i int) int {
		for i < len(raw) && raw[i] == ' ' {
			i++
		}
		return i
	}
	sub, i = word(i)
	if sub == "" || i >= len(raw) || raw[i] != ' ' {
		return "", "", "", 0, false
	}
	op, i = word(space(i))
	if op == "" {
		return "", "", "", 0, false
	}
	if strings.EqualFold(op, "pr") {
		return sub, op, "", i, true
	}
	i = space(i)
	if i < len(raw) && raw[i] == '"' {
		j := i + 1
		for ; j < len(raw) && raw[j] != '"'; j++ {
			if raw[j] == '\\' {
				j++
			}
		}
		if j >= len(raw) {
			return "", "", "", 0, false
		}
		return sub, op, raw[i : j+1], j + 1, true
	}
	j := i
	for j < len(raw) && raw[j] != ' ' && raw[j] != ')' {
		j++
	}
	if j == i {
		return "", "", "", 0, false
	}
	return sub, op, raw[i:j], j, true
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$'
}
