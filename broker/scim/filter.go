package scim

import (
	"strings"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// Limits on a filter; beyond them it is refused as invalidFilter. Depth
// counts nested parentheses and brackets.
const (
	maxFilterLength = 4096
	maxFilterTerms  = 50
	maxFilterDepth  = 8
)

// expr is a compiled filter: attributes resolved against the schema and
// literals checked against their types. It is evaluated in Go (PATCH paths,
// attribute selection) or translated into a store.Filter (lists), with the
// same meaning either way.
type expr any

type (
	andExpr []expr
	orExpr  []expr
	notExpr struct{ x expr }
	// cmpExpr compares a top-level attribute a of schema ext, or its
	// sub-attribute sub when a is single-valued and complex
	// (name.givenName); inside a value filter, a is the sub-attribute of the
	// element and ext is "".
	cmpExpr struct {
		ext   string
		a     *attr
		sub   *attr
		op    filter.CompareOperator // lower case
		value any                    // string, bool, float64 or time.Time; nil for pr
	}
	// anyExpr holds when some element of the multi-valued complex attribute
	// a satisfies x.
	anyExpr struct {
		ext string
		a   *attr
		x   expr
	}
	// constExpr is a comparison the schema decides alone (the type of a
	// user's group is always "direct").
	constExpr bool
)

// parseFilter compiles a filter on resources of the type s. The filter text
// is only ever read by the parser; the compiled filter becomes query
// arguments, never SQL.
func parseFilter(s *resourceSchema, raw string) (expr, error) {
	if len(raw) > maxFilterLength {
		return nil, badRequest(typeInvalidFilter, "the filter is longer than %d bytes", maxFilterLength)
	}
	if !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, badRequest(typeInvalidFilter, "the filter holds a control character or invalid UTF-8")
	}
	if nestingDepth(raw) > maxFilterDepth {
		return nil, badRequest(typeInvalidFilter, "the filter nests deeper than %d", maxFilterDepth)
	}
	text, vps, err := extractValuePaths(raw)
	if err != nil {
		return nil, err
	}
	ast, err := parseExpression(text)
	if err != nil {
		return nil, err
	}
	c := &filterCompiler{s: s}
	for _, vp := range vps {
		inner, err := parseExpression(vp)
		if err != nil {
			return nil, err
		}
		c.vps = append(c.vps, inner)
	}
	x, err := c.compile(ast, nil)
	if err != nil {
		return nil, err
	}
	if c.terms > maxFilterTerms {
		return nil, badRequest(typeInvalidFilter, "the filter has more than %d comparisons", maxFilterTerms)
	}
	return x, nil
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

// filterCompiler resolves a parsed filter against a schema.
type filterCompiler struct {
	s     *resourceSchema
	vps   []filter.Expression // value filters taken out by extractValuePaths
	terms int
}

// compile compiles e; elem is the multi-valued attribute whose elements a
// value filter tests, or nil at the top level.
func (c *filterCompiler) compile(e filter.Expression, elem *attr) (expr, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := c.compile(e.Left, elem)
		if err != nil {
			return nil, err
		}
		r, err := c.compile(e.Right, elem)
		if err != nil {
			return nil, err
		}
		switch {
		case strings.EqualFold(string(e.Operator), string(filter.AND)):
			return flatten[andExpr](l, r), nil
		case strings.EqualFold(string(e.Operator), string(filter.OR)):
			return flatten[orExpr](l, r), nil
		}
		return nil, badRequest(typeInvalidFilter, "unknown logical operator %q", e.Operator)
	case *filter.NotExpression:
		x, err := c.compile(e.Expression, elem)
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case *filter.ValuePath:
		return c.valuePath(e.AttributePath, e.ValueFilter, elem)
	case *filter.AttributeExpression:
		if i, ok := placeholderIndex(e, len(c.vps)); ok {
			p := e.AttributePath
			p.SubAttribute = nil
			return c.valuePath(p, c.vps[i], elem)
		}
		return c.compare(e, elem)
	}
	return nil, badRequest(typeInvalidFilter, "the filter cannot be parsed")
}

// flatten joins two operands of the same logical operator into one list.
func flatten[T andExpr | orExpr](l, r expr) T {
	var out T
	for _, x := range []expr{l, r} {
		if same, ok := x.(T); ok {
			out = append(out, same...)
		} else {
			out = append(out, x)
		}
	}
	return out
}

// valuePath compiles attr[filter]: the elements of a multi-valued complex
// attribute.
func (c *filterCompiler) valuePath(p filter.AttributePath, inner filter.Expression, elem *attr) (expr, error) {
	if elem != nil {
		return nil, badRequest(typeInvalidFilter, "value filters cannot nest")
	}
	ext, a := c.s.lookupFilter(p.URI(), p.AttributeName)
	if a == nil || !a.multi || !a.complex() || p.SubAttribute != nil {
		return nil, badRequest(typeInvalidFilter, "%s is not a multi-valued complex attribute", p)
	}
	x, err := c.compile(inner, a)
	if err != nil {
		return nil, err
	}
	return anyExpr{ext: ext, a: a, x: x}, nil
}

// compare compiles one attribute comparison.
func (c *filterCompiler) compare(e *filter.AttributeExpression, elem *attr) (expr, error) {
	c.terms++
	op := filter.CompareOperator(strings.ToLower(string(e.Operator)))
	if !knownOps[op] {
		return nil, badRequest(typeInvalidFilter, "unknown operator %q", e.Operator)
	}
	p := e.AttributePath
	if elem != nil {
		if p.URIPrefix != nil || p.SubAttribute != nil {
			return nil, badRequest(typeInvalidFilter, "%s is not a sub-attribute of %s", p, elem.name)
		}
		a := elem.sub(p.AttributeName)
		if a == nil {
			return nil, badRequest(typeInvalidFilter, "unknown attribute %s.%s", elem.name, p.AttributeName)
		}
		return c.leaf(cmpExpr{a: a, op: op}, c.s.constant(elem, a), e.CompareValue)
	}
	ext, a := c.s.lookupFilter(p.URI(), p.AttributeName)
	if a == nil {
		return nil, badRequest(typeInvalidFilter, "unknown attribute %s", p)
	}
	if !a.complex() {
		if p.SubAttribute != nil {
			return nil, badRequest(typeInvalidFilter, "%s has no sub-attributes", a.name)
		}
		return c.leaf(cmpExpr{ext: ext, a: a, op: op}, nil, e.CompareValue)
	}
	name := p.SubAttributeName()
	if name == "" {
		if op == filter.PR {
			return cmpExpr{ext: ext, a: a, op: op}, nil // the attribute has a value
		}
		// A complex attribute without a sub-attribute is compared on its
		// value (RFC 7644 3.4.2.2): members eq "<id>".
		name = "value"
	}
	sub := a.sub(name)
	if sub == nil {
		return nil, badRequest(typeInvalidFilter, "unknown attribute %s.%s", a.name, name)
	}
	if !a.multi {
		return c.leaf(cmpExpr{ext: ext, a: a, sub: sub, op: op}, c.s.constant(a, sub), e.CompareValue)
	}
	x, err := c.leaf(cmpExpr{a: sub, op: op}, c.s.constant(a, sub), e.CompareValue)
	if err != nil {
		return nil, err
	}
	return anyExpr{ext: ext, a: a, x: x}, nil
}

var knownOps = map[filter.CompareOperator]bool{
	filter.EQ: true, filter.NE: true, filter.CO: true, filter.SW: true, filter.EW: true,
	filter.GT: true, filter.GE: true, filter.LT: true, filter.LE: true, filter.PR: true,
}

// leaf finishes a comparison with its literal. konst is the value every
// resource has for the attribute, if the schema fixes it.
func (c *filterCompiler) leaf(x cmpExpr, konst *string, raw any) (expr, error) {
	target := x.a
	if x.sub != nil {
		target = x.sub
	}
	if x.sub == nil && x.a.name == "primary" && x.a.typ == "boolean" {
		return primary(x, raw)
	}
	if x.op == filter.PR {
		if konst != nil {
			return constExpr(true), nil
		}
		return x, nil
	}
	if raw == nil { // null: "no value"
		pr := x
		pr.op = filter.PR
		switch x.op {
		case filter.EQ:
			return notExpr{pr}, nil
		case filter.NE:
			return pr, nil
		}
		return nil, badRequest(typeInvalidFilter, "null can only be compared with eq and ne")
	}
	v, err := literal(target, x.op, raw)
	if err != nil {
		return nil, err
	}
	x.value = v
	if konst != nil {
		return constExpr(compareValue(target, x.op, *konst, v)), nil
	}
	return x, nil
}

// primary compiles a comparison of the primary sub-attribute of an
// element, which is false when it is not specified (RFC 7643 2.4): the
// store keeps false for an e-mail that is not primary, the resource leaves
// it out, and both must mean the same.
func primary(x cmpExpr, raw any) (expr, error) {
	isTrue := x
	isTrue.op, isTrue.value = filter.EQ, true
	want, ok := raw.(bool)
	switch {
	case x.op == filter.PR:
		return constExpr(true), nil
	case raw == nil && (x.op == filter.EQ || x.op == filter.NE):
		return constExpr(x.op == filter.NE), nil // it always has a value
	case !ok || x.op != filter.EQ && x.op != filter.NE:
		return nil, badRequest(typeInvalidFilter, "primary (boolean) cannot be compared with %s %v", x.op, raw)
	case want == (x.op == filter.EQ):
		return isTrue, nil // eq true, ne false
	}
	return notExpr{isTrue}, nil // eq false, ne true
}
