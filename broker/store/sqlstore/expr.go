package sqlstore

import "strings"

// Expr is a piece of SQL with the arguments of its ? placeholders, in order.
// Filters are built from Exprs so that every value travels as an argument
// and the arguments can never fall out of step with the placeholders.
type Expr struct {
	SQL  string
	Args []any
}

// Arg is one placeholder bound to v.
func Arg(v any) Expr { return Expr{SQL: "?", Args: []any{v}} }

// SQL is literal SQL without arguments. It must come from the store's own
// code, never from a value.
func SQL(s string) Expr { return Expr{SQL: s} }

// Cat concatenates parts, each an Expr or a string of literal SQL.
func Cat(parts ...any) Expr {
	var (
		b    strings.Builder
		args []any
	)
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			b.WriteString(p)
		case Expr:
			b.WriteString(p.SQL)
			args = append(args, p.Args...)
		default:
			panic("sqlstore.Cat: part is neither a string nor an Expr") // a bug in the store
		}
	}
	return Expr{SQL: b.String(), Args: args}
}

// join concatenates es with sep between them.
func join(es []Expr, sep string) Expr {
	parts := make([]any, 0, 2*len(es))
	for i, e := range es {
		if i > 0 {
			parts = append(parts, sep)
		}
		parts = append(parts, e)
	}
	return Cat(parts...)
}

// JSON is how a dialect reads values inside the SCIM resource that a user
// row keeps as JSON. doc is an expression of a document (the row's, or one
// element of an array in it); keys is a path of object keys below it,
// possibly empty. Every result is NULL-safe as documented.
type JSON interface {
	// Doc is the expression of a dir_users row's document.
	Doc() Expr
	// Text is the string at the path, NULL when absent or not a string.
	Text(doc Expr, keys []string) Expr
	// Bool is 'true' or 'false' for a boolean at the path, else NULL.
	Bool(doc Expr, keys []string) Expr
	// Present is a boolean, never NULL: the path holds a value that is not
	// null, "", [] or {}.
	Present(doc Expr, keys []string) Expr
	// IsArray is a boolean, never NULL: the path holds an array.
	IsArray(doc Expr, keys []string) Expr
	// Elements lists the objects of the array at the path: from is a FROM
	// item named alias (no rows when the path holds no array), where the
	// condition that keeps the elements that are objects, elem the
	// expression of one element's document and ord its position.
	Elements(doc Expr, keys []string, alias string) (from, where, elem, ord Expr)
}
