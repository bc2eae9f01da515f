package tfcheck

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Problem is one finding, at a place in a file.
type Problem struct {
	Range   hcl.Range
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s", p.Range.Filename, p.Range.Start.Line, p.Message)
}

// scope is what a reference may name where it appears.
type scope struct {
	each, count, self bool
	iterators         map[string]bool // dynamic block iterators
}

// Check returns every problem with the module's references and variables,
// sorted by place.
func (m *Module) Check() []Problem {
	c := &checker{m: m, usedVars: map[string]bool{}, usedLocals: map[string]bool{}}
	for _, b := range m.blocks {
		c.block(b, scope{})
	}
	for name, v := range m.Variables {
		if !c.usedVars[name] {
			c.report(v.Range, "variable %q is declared but never used", name)
		}
	}
	for name, a := range m.Locals {
		if !c.usedLocals[name] {
			c.report(a.NameRange, "local %q is defined but never used", name)
		}
	}
	sort.Slice(c.problems, func(i, j int) bool {
		a, b := c.problems[i].Range, c.problems[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return c.problems
}

type checker struct {
	m                    *Module
	usedVars, usedLocals map[string]bool
	problems             []Problem
	// inVariable names the variable block being walked: its validation
	// naming the variable itself does not make it used.
	inVariable string
}

func (c *checker) report(r hcl.Range, format string, args ...any) {
	c.problems = append(c.problems, Problem{Range: r, Message: fmt.Sprintf(format, args...)})
}

// block walks a top-level block with the scope its meta-arguments give.
func (c *checker) block(b *hclsyntax.Block, s scope) {
	switch b.Type {
	case "terraform", "moved", "import", "removed":
		return // names there are addresses or provider settings, not expressions of this module
	case "resource", "data", "module":
		_, s.count = b.Body.Attributes["count"]
		_, s.each = b.Body.Attributes["for_each"]
	}
	c.inVariable = ""
	if b.Type == "variable" {
		c.inVariable = b.Labels[0]
	}
	c.body(b.Type, b.Body, s)
}

func (c *checker) body(blockType string, body *hclsyntax.Body, s scope) {
	for name, a := range body.Attributes {
		switch {
		case blockType == "variable" && name == "type", // a type constraint, not an expression
			blockType == "lifecycle" && name == "ignore_changes",                   // attribute names
			(name == "provider" || name == "providers") && blockType != "provider": // provider addresses
			continue
		}
		c.expr(a.Expr, s)
	}
	for _, b := range body.Blocks {
		inner := s
		switch b.Type {
		case "dynamic":
			if a, ok := b.Body.Attributes["for_each"]; ok {
				c.expr(a.Expr, s)
			}
			it := b.Labels[0]
			if a, ok := b.Body.Attributes["iterator"]; ok {
				it = hcl.ExprAsKeyword(a.Expr)
			}
			inner.iterators = map[string]bool{it: true}
			for k := range s.iterators {
				inner.iterators[k] = true
			}
			for _, content := range b.Body.Blocks {
				if content.Type == "content" {
					c.body(b.Labels[0], content.Body, inner)
				}
			}
			continue
		case "precondition", "postcondition", "provisioner", "connection":
			inner.self = true
		}
		c.body(b.Type, b.Body, inner)
	}
}

func (c *checker) expr(e hclsyntax.Expression, s scope) {
	for _, t := range e.Variables() {
		c.traversal(t, s)
	}
}

func (c *checker) traversal(t hcl.Traversal, s scope) {
	root := t.RootName()
	attr := func(i int) string {
		if len(t) > i {
			if a, ok := t[i].(hcl.TraverseAttr); ok {
				return a.Name
			}
		}
		return ""
	}
	after := func(n int) hcl.Traversal {
		if len(t) > n {
			return t[n:]
		}
		return nil
	}
	r := t.SourceRange()
	switch {
	case s.iterators[root]:
	case root == "var":
		name := attr(1)
		if name != c.inVariable {
			c.usedVars[name] = true
		}
		if c.m.Variables[name] == nil {
			c.report(r, "var.%s is not declared", name)
		}
	case root == "local":
		name := attr(1)
		c.usedLocals[name] = true
		if c.m.Locals[name] == nil {
			c.report(r, "local.%s is not defined", name)
		}
	case root == "each":
		if !s.each {
			c.report(r, "each.%s outside a block with for_each", attr(1))
		}
	case root == "count":
		if !s.count {
			c.report(r, "count.%s outside a block with count", attr(1))
		}
	case root == "self":
		if !s.self {
			c.report(r, "self outside a condition, provisioner or connection")
		}
	case root == "path" || root == "terraform":
	case root == "module":
		if c.m.Modules[attr(1)] == nil {
			c.report(r, "module.%s is not declared", attr(1))
		}
	case root == "data":
		key := attr(1) + "." + attr(2)
		if b := c.m.Data[key]; b == nil {
			c.report(r, "data.%s is not declared", key)
		} else {
			c.indexed(b, "data."+key, after(3), r)
		}
	default:
		key := root + "." + attr(1)
		if b := c.m.Resources[key]; b == nil {
			c.report(r, "%s is not a declared resource", key)
		} else {
			c.indexed(b, key, after(2), r)
		}
	}
}

// indexed checks how a reference to b goes on (rest is what follows its
// name): a counted or for_each resource needs an index before any
// attribute, with a key its for_each has; a single one takes none.
func (c *checker) indexed(b *Block, name string, rest hcl.Traversal, r hcl.Range) {
	if len(rest) == 0 {
		return // the whole resource: depends_on, length(), for
	}
	idx, isIndex := rest[0].(hcl.TraverseIndex)
	switch {
	case b.Repeat == "" && isIndex:
		c.report(r, "%s has neither count nor for_each and takes no index", name)
	case b.Repeat != "" && !isIndex:
		c.report(r, "%s has %s: index it before reading an attribute", name, b.Repeat)
	case b.Repeat == "for_each":
		keys, ok := c.m.Keys(b.ForEach)
		if !ok || !idx.Key.Type().Equals(cty.String) {
			return
		}
		if _, found := keys[idx.Key.AsString()]; !found {
			c.report(r, "%s[%q]: its for_each has no such key", name, idx.Key.AsString())
		}
	}
}
