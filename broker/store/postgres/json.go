package postgres

import "github.com/dataproc-iis/iis/broker/store/sqlstore"

// jsonDoc reads the attributes_doc column (jsonb, generated from
// attributes by migration 10). Keys are bound as text arguments.
type jsonDoc struct{}

var _ sqlstore.JSON = jsonDoc{}

// at is the jsonb value at keys below doc, NULL when absent.
func at(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	parts := []any{"(", doc}
	for _, k := range keys {
		parts = append(parts, " -> ", sqlstore.Arg(k), "::text")
	}
	return sqlstore.Cat(append(parts, ")")...)
}

func (jsonDoc) Doc() sqlstore.Expr { return sqlstore.SQL("dir_users.attributes_doc") }

func (jsonDoc) Text(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	v := at(doc, keys)
	return sqlstore.Cat("CASE WHEN jsonb_typeof(", v, ") = 'string' THEN ", v, " #>> '{}' END")
}

func (jsonDoc) Bool(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	v := at(doc, keys)
	return sqlstore.Cat("CASE WHEN jsonb_typeof(", v, ") = 'boolean' THEN ", v, " #>> '{}' END")
}

func (jsonDoc) Present(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	v := at(doc, keys)
	return sqlstore.Cat("COALESCE(CASE jsonb_typeof(", v, ")",
		" WHEN 'null' THEN FALSE",
		` WHEN 'string' THEN `, v, ` <> '""'::jsonb`,
		" WHEN 'array' THEN jsonb_array_length(", v, ") > 0",
		" WHEN 'object' THEN ", v, " <> '{}'::jsonb",
		" ELSE ", v, " IS NOT NULL END, FALSE)")
}

func (jsonDoc) IsArray(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	return sqlstore.Cat("COALESCE(jsonb_typeof(", at(doc, keys), ") = 'array', FALSE)")
}

func (jsonDoc) Elements(doc sqlstore.Expr, keys []string, alias string) (from, where, elem, ord sqlstore.Expr) {
	v := at(doc, keys)
	// jsonb_array_elements of NULL has no rows.
	from = sqlstore.Cat("jsonb_array_elements(CASE WHEN jsonb_typeof(", v, ") = 'array' THEN ", v, " END) WITH ORDINALITY AS "+alias+"(v, n)")
	where = sqlstore.SQL("jsonb_typeof(" + alias + ".v) = 'object'")
	return from, where, sqlstore.SQL(alias + ".v"), sqlstore.SQL(alias + ".n")
}
