package sqlstore

import (
	"fmt"
	"regexp"
	"strings"
	"time"
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

// column compares a value kept in a column.
func (c *compiler) column(fl field, f store.Compare) (Expr, error) {
	col := SQL(fl.col)
	if f.Op == store.Pr {
		if fl.optional {
			return Cat("(", col, " <> '')"), nil
		}
		return SQL("TRUE"), nil
	}
	switch fl.kind {
	case kindText:
		v, ok := f.Value.(string)
		if !ok {
			return Expr{}, invalid("filter: %s is a string, not %T", strings.Join(f.Path, "."), f.Value)
		}
		var key Expr
		if fl.key != "" {
			key = SQL(fl.key)
		}
		return c.text(col, key, false, fl.optional, f.Op, v, f.Fold)
	case kindBool:
		v, ok := f.Value.(bool)
		if !ok {
			return Expr{}, invalid("filter: %s is a boolean, not %T", strings.Join(f.Path, "."), f.Value)
		}
		switch f.Op {
		case store.Eq:
			return Cat("(", col, " = ", Arg(v), ")"), nil
		case store.Ne:
			return Cat("(", col, " <> ", Arg(v), ")"), nil
		}
		return Expr{}, invalid("filter: a boolean cannot be compared with %s", f.Op)
	case kindTime:
		v, ok := f.Value.(time.Time)
		if !ok {
			return Expr{}, invalid("filter: %s is a time, not %T", strings.Join(f.Path, "."), f.Value)
		}
		op, ok := orderOps[f.Op]
		if !ok {
			return Expr{}, invalid("filter: a time cannot be compared with %s", f.Op)
		}
		return Cat("(", col, " ", op, " ", Arg(c.d.timeArg(v)), ")"), nil
	}
	return Expr{}, invalid("filter: unknown column kind")
}

// json compares a value of the JSON document doc.
func (c *compiler) json(doc Expr, f store.Compare) (Expr, error) {
	j := c.d.JSON
	switch v := f.Value.(type) {
	case nil:
		return j.Present(doc, f.Path), nil
	case string:
		text := Cat("NULLIF(", j.Text(doc, f.Path), ", '')")
		return c.text(text, Expr{}, true, false, f.Op, v, f.Fold)
	case bool:
		eq := Cat("COALESCE(", j.Bool(doc, f.Path), " = ", Arg(fmt.Sprint(v)), ", FALSE)")
		switch f.Op {
		case store.Eq:
			return eq, nil
		case store.Ne:
			return Cat("(NOT ", eq, ")"), nil
		}
		return Expr{}, invalid("filter: a boolean cannot be compared with %s", f.Op)
	}
	return Expr{}, invalid("filter: %s cannot be compared with a %T", strings.Join(f.Path, "."), f.Value)
}

// orderOps are the comparisons of ordered values, with their SQL.
var orderOps = map[store.Op]string{
	store.Eq: "=", store.Ne: "<>", store.Gt: ">", store.Ge: ">=", store.Lt: "<", store.Le: "<=",
}

// text compares the string col (with its folded form key, if kept) with v.
// nullable: col may be NULL (no value); optional: "" means no value.
func (c *compiler) text(col, key Expr, nullable, optional bool, op store.Op, v string, fold bool) (Expr, error) {
	lhs, rhs := col, func(s string) Expr { return Arg(s) }
	switch {
	case fold && key.SQL != "":
		lhs, rhs = key, func(s string) Expr { return Arg(foldKey(s)) }
	case fold:
		lhs, rhs = Cat(c.d.Fold, "(", col, ")"), func(s string) Expr { return Cat(c.d.Fold, "(", Arg(s), ")") }
	}
	var pred Expr
	switch op {
	case store.Eq, store.Ne:
		if v == "" {
			// "" is no value (RFC 7643 2.5): nothing equals it.
			pred = SQL("FALSE")
			nullable, optional = false, false
		} else {
			pred = Cat(lhs, " = ", rhs(v))
			optional = false // v is not "", so col is not either
		}
	case store.Co, store.Sw, store.Ew:
		pattern := escapeLike(v)
		switch op {
		case store.Co:
			pattern = "%" + pattern + "%"
		case store.Sw:
			pattern += "%"
		case store.Ew:
			pattern = "%" + pattern
		}
		pred = Cat(lhs, ` LIKE `, rhs(pattern), ` ESCAPE '\'`)
	case store.Gt, store.Ge, store.Lt, store.Le:
		pred = Cat(lhs, c.d.Collate, " ", orderOps[op], " ", rhs(v))
	default:
		return Expr{}, invalid("filter: unknown operator %q", op)
	}
	if nullable {
		pred = Cat("COALESCE(", pred, ", FALSE)")
	}
	if optional {
		pred = Cat("(", col, " <> '' AND ", pred, ")")
	} else {
		pred = Cat("(", pred, ")")
	}
	if op == store.Ne {
		pred = Cat("(NOT ", pred, ")")
	}
	return pred, nil
}

// likeEscaper makes a value match itself in a LIKE pattern with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func escapeLike(s string) string { return likeEscaper.Replace(s) }

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
