package scim

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// opsByType are the operators each attribute type can be compared with
// (RFC 7644 3.4.2.2: gt, ge, lt and le on a boolean or binary value are
// invalidFilter; co, sw and ew compare strings).
var opsByType = map[string]string{
	"string":    "eq ne co sw ew gt ge lt le",
	"reference": "eq ne co sw ew gt ge lt le",
	"binary":    "eq ne co sw ew",
	"boolean":   "eq ne",
	"dateTime":  "eq ne gt ge lt le",
	"integer":   "eq ne gt ge lt le",
	"decimal":   "eq ne gt ge lt le",
}

// literal checks the literal of a comparison against the attribute's type
// and returns it as the filter compares it: a string (with the JSON escapes
// the grammar uses decoded; the parser leaves them as written), a bool, a
// float64 or, for a dateTime, a time.Time.
func literal(a *attr, op filter.CompareOperator, v any) (any, error) {
	if !strings.Contains(" "+opsByType[a.typ]+" ", " "+string(op)+" ") {
		return nil, badRequest(typeInvalidFilter, "%s (%s) cannot be compared with %s", a.name, a.typ, op)
	}
	bad := badRequest(typeInvalidFilter, "%s (%s) cannot be compared with %v", a.name, a.typ, v)
	switch x := v.(type) {
	case string:
		var s string
		if err := json.Unmarshal([]byte(`"`+x+`"`), &s); err != nil {
			return nil, badRequest(typeInvalidFilter, "a string in the filter has a bad escape")
		}
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
			return nil, badRequest(typeInvalidFilter, "the filter holds a control character or invalid UTF-8")
		}
		switch a.typ {
		case "string", "reference", "binary":
			return s, nil
		case "dateTime":
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, badRequest(typeInvalidFilter, "%s needs an RFC 3339 date and time, such as 2026-01-02T15:04:05Z", a.name)
			}
			return t, nil
		}
	case bool:
		if a.typ == "boolean" {
			return x, nil
		}
	case int:
		if a.typ == "integer" || a.typ == "decimal" {
			return float64(x), nil
		}
	case float64:
		if a.typ == "integer" || a.typ == "decimal" {
			return x, nil
		}
	}
	return nil, bad
}
