package tfcheck

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Keys returns the keys an expression yields when they are written out in
// the module (object and tuple literals, locals, merge, toset, concat and
// both arms of a conditional), with each key's value expression (nil for
// set elements). ok is false when a key is only known at apply time.
func (m *Module) Keys(expr hclsyntax.Expression) (keys map[string]hclsyntax.Expression, ok bool) {
	return m.keys(expr, map[string]bool{})
}

func (m *Module) keys(expr hclsyntax.Expression, seen map[string]bool) (map[string]hclsyntax.Expression, bool) {
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		out := map[string]hclsyntax.Expression{}
		for _, item := range e.Items {
			k, ok := LiteralString(item.KeyExpr)
			if !ok {
				return nil, false
			}
			out[k] = item.ValueExpr
		}
		return out, true
	case *hclsyntax.TupleConsExpr:
		out := map[string]hclsyntax.Expression{}
		for _, x := range e.Exprs {
			k, ok := LiteralString(x)
			if !ok {
				return nil, false
			}
			out[k] = nil
		}
		return out, true
	case *hclsyntax.ScopeTraversalExpr:
		if len(e.Traversal) != 2 || e.Traversal.RootName() != "local" {
			return nil, false
		}
		name, ok := e.Traversal[1].(hcl.TraverseAttr)
		if !ok || m.Locals[name.Name] == nil || seen[name.Name] {
			return nil, false
		}
		seen[name.Name] = true
		defer delete(seen, name.Name)
		return m.keys(m.Locals[name.Name].Expr, seen)
	case *hclsyntax.FunctionCallExpr:
		switch e.Name {
		case "merge", "concat", "toset", "tolist", "tomap":
			return m.union(e.Args, seen)
		}
	case *hclsyntax.ConditionalExpr:
		return m.union([]hclsyntax.Expression{e.TrueResult, e.FalseResult}, seen)
	case *hclsyntax.ParenthesesExpr:
		return m.keys(e.Expression, seen)
	}
	return nil, false
}

// union merges the keys of exprs; later ones win, as in merge().
func (m *Module) union(exprs []hclsyntax.Expression, seen map[string]bool) (map[string]hclsyntax.Expression, bool) {
	out := map[string]hclsyntax.Expression{}
	for _, x := range exprs {
		ks, ok := m.keys(x, seen)
		if !ok {
			return nil, false
		}
		for k, v := range ks {
			out[k] = v
		}
	}
	return out, true
}

// LiteralString is the value of an expression that needs no evaluation
// context (a quoted string or a bare object key), if it is a string.
func LiteralString(expr hclsyntax.Expression) (string, bool) {
	if k, ok := expr.(*hclsyntax.ObjectConsKeyExpr); ok {
		if name := hcl.ExprAsKeyword(k.Wrapped); name != "" && !k.ForceNonLiteral {
			return name, true
		}
		expr = k.Wrapped
	}
	if len(expr.Variables()) > 0 {
		return "", false
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// LiteralStrings is the value of a tuple of literal strings, such as a
// container's args.
func LiteralStrings(expr hclsyntax.Expression) ([]string, bool) {
	t, ok := expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(t.Exprs))
	for _, x := range t.Exprs {
		s, ok := LiteralString(x)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// StaticValue is the string an expression gives without applying: a
// literal, a variable's literal default, or tostring() of either. It is
// what a container gets as that environment variable when the operator
// keeps the defaults.
func (m *Module) StaticValue(expr hclsyntax.Expression) (string, bool) {
	switch e := expr.(type) {
	case *hclsyntax.FunctionCallExpr:
		if e.Name == "tostring" && len(e.Args) == 1 {
			return m.StaticValue(e.Args[0])
		}
		return "", false
	case *hclsyntax.ScopeTraversalExpr:
		if len(e.Traversal) != 2 || e.Traversal.RootName() != "var" {
			return "", false
		}
		a, ok := e.Traversal[1].(hcl.TraverseAttr)
		if !ok || m.Variables[a.Name] == nil || m.Variables[a.Name].Default == nil {
			return "", false
		}
		expr = m.Variables[a.Name].Default
	}
	if len(expr.Variables()) > 0 {
		return "", false
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), true
	case cty.Bool:
		return fmt.Sprint(v.True()), true
	}
	return "", false
}
