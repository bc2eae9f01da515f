package tfcheck

import (
	"fmt"
	"path"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Container is one container of a Cloud Run service, job or worker pool.
type Container struct {
	Resource string // "google_cloud_run_v2_service.worker"
	Name     string
	Image    string   // the image expression's source text, e.g. "var.image"
	Args     []string // literal args (the iis command first)
	// ArgsKnown is false when args are computed (concat, a variable).
	ArgsKnown bool
	// Env maps each environment variable set to its value expression.
	Env map[string]hclsyntax.Expression
	// Mounts are the volume mount paths.
	Mounts []string
	// Port is the container port, when written out.
	Port  string
	Range hcl.Range
}

// runTypes are the Cloud Run v2 resources that run containers.
var runTypes = map[string]bool{
	"google_cloud_run_v2_service": true, "google_cloud_run_v2_job": true, "google_cloud_run_v2_worker_pool": true,
}

// CloudRunContainers returns every Cloud Run container of the module,
// sorted by resource and name. An environment whose names are not written
// out in the module (a dynamic env over a map built at apply time) is a
// problem: it could not be checked.
func (m *Module) CloudRunContainers() ([]Container, []Problem) {
	var out []Container
	var problems []Problem
	keys := make([]string, 0, len(m.Resources))
	for k := range m.Resources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		r := m.Resources[key]
		if !runTypes[r.Type] {
			continue
		}
		for _, tmpl := range blocksOf(r.Body, "template") {
			// Jobs nest one more template level.
			bodies := append([]*hclsyntax.Body{tmpl}, blocksOf(tmpl, "template")...)
			for _, body := range bodies {
				for _, cb := range blocksOf(body, "containers") {
					c, ps := m.container(key, cb)
					out = append(out, c)
					problems = append(problems, ps...)
				}
			}
		}
	}
	return out, problems
}

func (m *Module) container(resource string, b *hclsyntax.Body) (Container, []Problem) {
	c := Container{Resource: resource, Env: map[string]hclsyntax.Expression{}, Range: b.SrcRange}
	var problems []Problem
	bad := func(r hcl.Range, format string, args ...any) {
		problems = append(problems, Problem{Range: r, Message: fmt.Sprintf(format, args...)})
	}
	if a, ok := b.Attributes["name"]; ok {
		c.Name, _ = LiteralString(a.Expr)
	}
	if a, ok := b.Attributes["image"]; ok {
		c.Image = string(a.Expr.Range().SliceBytes(m.src[a.Expr.Range().Filename]))
	}
	c.ArgsKnown = true // none
	if a, ok := b.Attributes["args"]; ok {
		c.Args, c.ArgsKnown = LiteralStrings(a.Expr)
	}
	set := func(name string, value hclsyntax.Expression, r hcl.Range) {
		if _, dup := c.Env[name]; dup {
			bad(r, "%s: env %s is set twice", resource, name)
		}
		c.Env[name] = value
	}
	for _, blk := range b.Blocks {
		switch {
		case blk.Type == "env":
			name, ok := LiteralString(attrExpr(blk.Body, "name"))
			if !ok {
				bad(blk.DefRange(), "%s: env name is not a literal", resource)
				continue
			}
			set(name, attrExpr(blk.Body, "value"), blk.DefRange())
		case blk.Type == "dynamic" && blk.Labels[0] == "env":
			keys, ok := m.Keys(attrExpr(blk.Body, "for_each"))
			if !ok {
				bad(blk.DefRange(), "%s: the names of its dynamic env are not written out in the module, so they cannot be checked", resource)
				continue
			}
			for k, v := range keys {
				set(k, v, blk.DefRange())
			}
		case blk.Type == "ports":
			c.Port, _ = m.StaticValue(attrExpr(blk.Body, "container_port"))
		case blk.Type == "volume_mounts":
			c.mount(blk.Body)
		case blk.Type == "dynamic" && blk.Labels[0] == "volume_mounts":
			for _, content := range blocksOf(blk.Body, "content") {
				c.mount(content) // mounted in some configurations
			}
		}
	}
	sort.Strings(c.Mounts)
	return c, problems
}

func blocksOf(b *hclsyntax.Body, typ string) []*hclsyntax.Body {
	var out []*hclsyntax.Body
	for _, blk := range b.Blocks {
		if blk.Type == typ {
			out = append(out, blk.Body)
		}
	}
	return out
}

// attrExpr is the expression of an attribute, or a null literal.
func attrExpr(b *hclsyntax.Body, name string) hclsyntax.Expression {
	if a, ok := b.Attributes[name]; ok {
		return a.Expr
	}
	return &hclsyntax.LiteralValueExpr{Val: cty.NullVal(cty.DynamicPseudoType)}
}

func (c *Container) mount(b *hclsyntax.Body) {
	if p, ok := LiteralString(attrExpr(b, "mount_path")); ok {
		c.Mounts = append(c.Mounts, path.Clean(p))
	}
}
