package tfcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Module is the top-level declarations of one directory of .tf files.
type Module struct {
	Dir       string
	Variables map[string]*Variable
	Locals    map[string]*hclsyntax.Attribute
	Resources map[string]*Block // "type.name"
	Data      map[string]*Block // "type.name"
	Modules   map[string]*Block
	Outputs   map[string]*Block
	// blocks are every top-level block, for the reference walk.
	blocks []*hclsyntax.Block
	src    map[string][]byte // by file name, for source text

}

// Variable is a declared input.
type Variable struct {
	Name     string
	Required bool                 // no default
	Default  hclsyntax.Expression // nil when Required
	Range    hcl.Range
}

// Block is a resource, data source, module call or output.
type Block struct {
	Type, Name string
	Body       *hclsyntax.Body
	// Repeat is "count", "for_each" or "".
	Repeat  string
	ForEach hclsyntax.Expression
	Range   hcl.Range
}

// Load parses every .tf file in dir. Syntax errors and duplicate
// declarations are returned as diagnostics.
func Load(dir string) (*Module, hcl.Diagnostics) {
	m := &Module{
		Dir: dir, Variables: map[string]*Variable{}, Locals: map[string]*hclsyntax.Attribute{},
		Resources: map[string]*Block{}, Data: map[string]*Block{}, Modules: map[string]*Block{}, Outputs: map[string]*Block{},
		src: map[string][]byte{},
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(names) == 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("no .tf files in %s (%v)", dir, err)}}
	}
	sort.Strings(names)
	var diags hcl.Diagnostics
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: err.Error()})
			continue
		}
		m.src[filepath.Base(name)] = src
		f, ds := hclsyntax.ParseConfig(src, filepath.Base(name), hcl.InitialPos)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			diags = append(diags, m.add(b)...)
		}
	}
	return m, diags
}

func (m *Module) add(b *hclsyntax.Block) hcl.Diagnostics {
	m.blocks = append(m.blocks, b)
	dup := func(kind, name string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("%s %s declared twice", kind, name), Subject: b.DefRange().Ptr()}}
	}
	switch b.Type {
	case "variable":
		name := b.Labels[0]
		if m.Variables[name] != nil {
			return dup("variable", name)
		}
		v := &Variable{Name: name, Required: true, Range: b.DefRange()}
		if a, ok := b.Body.Attributes["default"]; ok {
			v.Required, v.Default = false, a.Expr
		}
		m.Variables[name] = v
	case "locals":
		for name, a := range b.Body.Attributes {
			if m.Locals[name] != nil {
				return dup("local", name)
			}
			m.Locals[name] = a
		}
	case "resource", "data":
		key := b.Labels[0] + "." + b.Labels[1]
		into := m.Resources
		if b.Type == "data" {
			into = m.Data
		}
		if into[key] != nil {
			return dup(b.Type, key)
		}
		into[key] = newBlock(b, b.Labels[0], b.Labels[1])
	case "module", "output":
		into := m.Modules
		if b.Type == "output" {
			into = m.Outputs
		}
		if into[b.Labels[0]] != nil {
			return dup(b.Type, b.Labels[0])
		}
		into[b.Labels[0]] = newBlock(b, b.Type, b.Labels[0])
	}
	return nil
}

func newBlock(b *hclsyntax.Block, typ, name string) *Block {
	blk := &Block{Type: typ, Name: name, Body: b.Body, Range: b.DefRange()}
	if a, ok := b.Body.Attributes["count"]; ok {
		blk.Repeat = "count"
		blk.ForEach = a.Expr
	}
	if a, ok := b.Body.Attributes["for_each"]; ok {
		blk.Repeat = "for_each"
		blk.ForEach = a.Expr
	}
	return blk
}
