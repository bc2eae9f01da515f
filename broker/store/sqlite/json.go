package sqlite

import (
	"database/sql/driver"
	"strings"

	sqlite "modernc.org/sqlite"

	"github.com/dataproc-iis/iis/broker/store/sqlstore"
)

// foldFunc is the SQL function that folds case as the store folds userName
// (strings.ToLower): SQLite's own lower() folds ASCII only.
const foldFunc = "iis_fold"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(foldFunc, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		if s, ok := args[0].(string); ok {
			return strings.ToLower(s), nil
		}
		return nil, nil // not a string: no value to compare
	})
}

// jsonDoc reads the attributes column with SQLite's JSON functions. Paths
// are bound as arguments ($."name"."givenName"); sqlstore allows no quote in
// a key.
type jsonDoc struct{}

var _ sqlstore.JSON = jsonDoc{}

func jsonPath(keys []string) sqlstore.Expr {
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		b.WriteString(`."` + k + `"`)
	}
	return sqlstore.Arg(b.String())
}

func (jsonDoc) Doc() sqlstore.Expr { return sqlstore.SQL("dir_users.attributes") }

func (jsonDoc) Text(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	p := jsonPath(keys)
	return sqlstore.Cat("CASE WHEN json_type(", doc, ", ", p, ") = 'text' THEN json_extract(", doc, ", ", p, ") END")
}

func (jsonDoc) Bool(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	p := jsonPath(keys)
	return sqlstore.Cat("CASE WHEN json_type(", doc, ", ", p, ") IN ('true', 'false') THEN json_type(", doc, ", ", p, ") END")
}

func (jsonDoc) Present(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	p := jsonPath(keys)
	return sqlstore.Cat("COALESCE(CASE json_type(", doc, ", ", p, ")",
		" WHEN 'null' THEN FALSE",
		" WHEN 'text' THEN json_extract(", doc, ", ", p, ") <> ''",
		" WHEN 'array' THEN json_array_length(", doc, ", ", p, ") > 0",
		" WHEN 'object' THEN json_extract(", doc, ", ", p, ") <> '{}'",
		" ELSE json_type(", doc, ", ", p, ") IS NOT NULL END, FALSE)")
}

func (jsonDoc) IsArray(doc sqlstore.Expr, keys []string) sqlstore.Expr {
	return sqlstore.Cat("COALESCE(json_type(", doc, ", ", jsonPath(keys), ") = 'array', FALSE)")
}

func (jsonDoc) Elements(doc sqlstore.Expr, keys []string, alias string) (from, where, elem, ord sqlstore.Expr) {
	p := jsonPath(keys)
	from = sqlstore.Cat("json_each(", doc, ", ", p, ") AS "+alias)
	// json_each walks an object's members too: keep arrays only.
	where = sqlstore.Cat("json_type(", doc, ", ", p, ") = 'array' AND "+alias+".type = 'object'")
	return from, where, sqlstore.SQL(alias + ".value"), sqlstore.SQL(alias + ".key")
}
