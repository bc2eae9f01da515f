package sqlstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

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
