package sqlstore

import (
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
)

// compileOrder returns the ORDER BY clause of a list of r: by s, if set,
// then in the default order (creation time, then id).
func compileOrder(d *Dialect, r *resource, s *store.Sort) (Expr, error) {
	def := SQL(" ORDER BY " + r.table + ".created_at, " + r.table + ".id")
	if s == nil {
		return def, nil
	}
	key, text, err := sortKey(d, r, *s)
	if err != nil {
		return Expr{}, err
	}
	dir := ""
	if s.Desc {
		dir = " DESC"
	}
	collate := ""
	if text {
		collate = d.Collate
	}
	// A resource without a value sorts last, and first when descending
	// (RFC 7644 3.4.2.3), whatever the backend's NULL order.
	return Cat(" ORDER BY (", key, ") IS NULL", dir, ", (", key, ")", collate, dir, ", ",
		r.table, ".created_at, ", r.table, ".id"), nil
}

// sortKey is the expression a list is sorted by, NULL for no value, and
// whether it is a string.
func sortKey(d *Dialect, r *resource, s store.Sort) (key Expr, text bool, err error) {
	if err := checkPath(s.Path); err != nil {
		return Expr{}, false, err
	}
	fold := func(e Expr) Expr {
		if s.Fold {
			return Cat(d.Fold, "(", e, ")")
		}
		return e
	}
	if fl, ok := r.fields[pathKey(s.Path)]; ok {
		return fieldKey(d, fl, s.Fold), fl.kind == kindText, nil
	}
	if m, ok := r.multis[strings.ToLower(s.Path[0])]; ok {
		sub := "value"
		if len(s.Path) == 2 {
			sub = s.Path[1]
		}
		fl, ok := m.fields[strings.ToLower(sub)]
		if m.first == "" || !ok || len(s.Path) > 2 {
			return Expr{}, false, invalid("sort: a %s cannot be sorted by %s", r.name, strings.Join(s.Path, "."))
		}
		return Cat("(SELECT ", fieldKey(d, fl, s.Fold), " FROM ", m.from, " ORDER BY ", m.first, " LIMIT 1)"), fl.kind == kindText, nil
	}
	if !r.doc {
		return Expr{}, false, invalid("sort: a %s has no attribute %s", r.name, strings.Join(s.Path, "."))
	}
	j := d.JSON
	doc := j.Doc()
	value := j.Text(doc, s.Path)
	if len(s.Path) > 1 {
		// The path may cross a multi-valued attribute (phoneNumbers.value):
		// then the value of its primary element counts, else the first's.
		parent, last := s.Path[:len(s.Path)-1], s.Path[len(s.Path)-1:]
		from, where, elem, ord := j.Elements(doc, parent, "srt")
		primary := Cat("COALESCE(", j.Bool(elem, []string{"primary"}), " = 'true', FALSE)")
		value = Cat("CASE WHEN ", j.IsArray(doc, parent), " THEN (SELECT ", j.Text(elem, last), " FROM ", from,
			" WHERE ", where, " ORDER BY ", primary, " DESC, ", ord, " LIMIT 1) ELSE ", value, " END")
	}
	return fold(Cat("NULLIF(", value, ", '')")), true, nil
}

// fieldKey is the sort key of a column: its folded form for a folded sort
// of a string, NULL for an optional column without a value.
func fieldKey(d *Dialect, fl field, fold bool) Expr {
	col := fl.col
	switch {
	case fl.kind != kindText:
		return SQL(col)
	case fold && fl.key != "":
		col = fl.key
	case fold:
		col = d.Fold + "(" + col + ")"
	}
	if fl.optional {
		return SQL("NULLIF(" + col + ", '')")
	}
	return SQL(col)
}
