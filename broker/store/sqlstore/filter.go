package sqlstore

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/dataproc-iis/iis/broker/store"
)

// compiler translates a store.Filter into SQL for one resource table. Every
// value becomes an argument; the only SQL text it writes is its own and the
// column names of the resource.
type compiler struct {
	d       *Dialect
	r       *resource
	terms   int
	aliases int
}

// scope is where the paths of a comparison are resolved: the resource row,
// an element of a multi-valued attribute kept in a table, or an element of
// an array in the row's JSON document.
type scope struct {
	m    *multi
	elem *Expr
}

// compileFilter returns the SQL condition of f on rows of r (TRUE for nil).
func compileFilter(d *Dialect, r *resource, f store.Filter) (Expr, error) {
	if f == nil {
		return SQL("TRUE"), nil
	}
	c := &compiler{d: d, r: r}
	return c.filter(f, scope{}, 1)
}

func (c *compiler) filter(f store.Filter, s scope, depth int) (Expr, error) {
	if depth > store.MaxFilterDepth {
		return Expr{}, invalid("filter: deeper than %d", store.MaxFilterDepth)
	}
	switch f := f.(type) {
	case store.And:
		return c.logical([]store.Filter(f), " AND ", "TRUE", s, depth)
	case store.Or:
		return c.logical([]store.Filter(f), " OR ", "FALSE", s, depth)
	case store.Not:
		inner, err := c.filter(f.F, s, depth+1)
		if err != nil {
			return Expr{}, err
		}
		// Every condition compiled here is TRUE or FALSE, never NULL, so
		// NOT is the complement.
		return Cat("(NOT ", inner, ")"), nil
	case store.Compare:
		if c.terms++; c.terms > store.MaxFilterTerms {
			return Expr{}, invalid("filter: more than %d comparisons", store.MaxFilterTerms)
		}
		return c.compare(f, s)
	case store.Any:
		if s.m != nil || s.elem != nil {
			return Expr{}, invalid("filter: Any inside Any")
		}
		return c.any(f, depth)
	}
	return Expr{}, invalid("filter: unknown node %T", f)
}

func (c *compiler) logical(fs []store.Filter, op, empty string, s scope, depth int) (Expr, error) {
	if len(fs) == 0 {
		return SQL(empty), nil
	}
	parts := make([]Expr, len(fs))
	for i, f := range fs {
		e, err := c.filter(f, s, depth+1)
		if err != nil {
			return Expr{}, err
		}
		parts[i] = e
	}
	return Cat("(", join(parts, op), ")"), nil
}

func (c *compiler) any(f store.Any, depth int) (Expr, error) {
	if err := checkPath(f.Path); err != nil {
		return Expr{}, err
	}
	inner := f.F
	if inner == nil {
		inner = store.And{}
	}
	if m, ok := c.r.multis[pathKey(f.Path)]; ok {
		cond, err := c.filter(inner, scope{m: &m}, depth+1)
		if err != nil {
			return Expr{}, err
		}
		return Cat("EXISTS (SELECT 1 FROM ", m.from, " AND ", cond, ")"), nil
	}
	if !c.r.doc {
		return Expr{}, invalid("filter: a %s has no multi-valued attribute %s", c.r.name, strings.Join(f.Path, "."))
	}
	c.aliases++
	from, where, elem, _ := c.d.JSON.Elements(c.d.JSON.Doc(), f.Path, fmt.Sprintf("el%d", c.aliases))
	cond, err := c.filter(inner, scope{elem: &elem}, depth+1)
	if err != nil {
		return Expr{}, err
	}
	return Cat("EXISTS (SELECT 1 FROM ", from, " WHERE ", where, " AND ", cond, ")"), nil
}

func (c *compiler) compare(f store.Compare, s scope) (Expr, error) {
	if err := checkPath(f.Path); err != nil {
		return Expr{}, err
	}
	if err := checkValue(f); err != nil {
		return Expr{}, err
	}
	name := strings.Join(f.Path, ".")
	switch {
	case s.m != nil:
		fl, ok := s.m.fields[pathKey(f.Path)]
		if !ok {
			return Expr{}, invalid("filter: no sub-attribute %s here", name)
		}
		return c.column(fl, f)
	case s.elem != nil:
		return c.json(*s.elem, f)
	}
	if fl, ok := c.r.fields[pathKey(f.Path)]; ok {
		return c.column(fl, f)
	}
	if m, ok := c.r.multis[strings.ToLower(f.Path[0])]; ok {
		if len(f.Path) == 1 && f.Op == store.Pr {
			return Cat("EXISTS (SELECT 1 FROM ", m.from, ")"), nil
		}
		return Expr{}, invalid("filter: %s is multi-valued: compare its elements with Any", name)
	}
	if !c.r.doc {
		return Expr{}, invalid("filter: a %s has no attribute %s", c.r.name, name)
	}
	return c.json(c.d.JSON.Doc(), f)
}

// pathSegment is what a key of a path may hold: attribute names and schema
// URNs. Keys are bound as arguments anyway; the rule keeps them within what
// both dialects' JSON paths can name without quoting tricks.
var pathSegment = regexp.MustCompile(`^[A-Za-z$][A-Za-z0-9_$:.\-]{0,199}$`)

func checkPath(p []string) error {
	if len(p) == 0 || len(p) > 3 {
		return invalid("filter: a path has 1 to 3 keys, not %d", len(p))
	}
	for _, k := range p {
		if !pathSegment.MatchString(k) {
			return invalid("filter: bad path key %q", k)
		}
	}
	return nil
}

// checkValue refuses what no backend could hold: a string with NUL or
// invalid UTF-8 (PostgreSQL refuses both as a parameter), a Pr with a value.
func checkValue(f store.Compare) error {
	switch v := f.Value.(type) {
	case string:
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return invalid("filter: a string holds NUL or invalid UTF-8")
		}
	case nil:
		if f.Op != store.Pr {
			return invalid("filter: %s needs a value", f.Op)
		}
		return nil
	}
	if f.Op == store.Pr {
		return invalid("filter: pr takes no value")
	}
	return nil
}
