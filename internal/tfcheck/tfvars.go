package tfcheck

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// CheckTfvars checks a tfvars file (such as terraform.tfvars.example)
// against the module: it sets only declared variables, and every variable
// without a default.
func (m *Module) CheckTfvars(path string) []Problem {
	src, err := os.ReadFile(path)
	if err != nil {
		return []Problem{{Range: hcl.Range{Filename: filepath.Base(path)}, Message: err.Error()}}
	}
	f, diags := hclsyntax.ParseConfig(src, filepath.Base(path), hcl.InitialPos)
	if diags.HasErrors() {
		var ps []Problem
		for _, d := range diags {
			ps = append(ps, Problem{Range: *d.Subject, Message: d.Summary + ": " + d.Detail})
		}
		return ps
	}
	body := f.Body.(*hclsyntax.Body)
	var ps []Problem
	for name, a := range body.Attributes {
		if m.Variables[name] == nil {
			ps = append(ps, Problem{Range: a.NameRange, Message: "sets " + name + ", which the module does not declare"})
		}
	}
	for name, v := range m.Variables {
		if _, set := body.Attributes[name]; v.Required && !set {
			ps = append(ps, Problem{Range: body.SrcRange, Message: "does not set " + name + ", which has no default"})
		}
	}
	for _, b := range body.Blocks {
		ps = append(ps, Problem{Range: b.DefRange(), Message: "a tfvars file holds attributes only, not blocks"})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].String() < ps[j].String() })
	return ps
}
