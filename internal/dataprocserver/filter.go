package dataprocserver

import (
	"strings"
	"time"
)

// clause is one comparison of a List filter: field op value.
type clause struct {
	field, op, value string
}

// parseFilter reads the subset of the AIP-160 filter syntax Dataproc
// documents for ListJobs and ListBatches: comparisons joined by AND (or by
// spaces, an implicit AND). OR, NOT and parentheses are rejected.
func parseFilter(s string) ([]clause, error) {
	var out []clause
	rest := strings.TrimSpace(s)
	for rest != "" {
		word, after := nextWord(rest)
		switch strings.ToUpper(word) {
		case "AND":
			rest = after
			continue
		case "OR", "NOT":
			return nil, invalid("Filter %q: %s is not supported.", s, word)
		}
		c, after, err := parseClause(rest)
		if err != nil {
			return nil, invalid("Filter %q: %v", s, err)
		}
		out = append(out, c)
		rest = after
	}
	return out, nil
}

func nextWord(s string) (word, rest string) {
	i := strings.IndexAny(s, " \t\n")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t\n")
}

type filterError string

func (e filterError) Error() string { return string(e) }

func parseClause(s string) (clause, string, error) {
	i := 0
	for i < len(s) && isFieldChar(s[i]) {
		i++
	}
	if i == 0 {
		return clause{}, "", filterError("expected a field at " + quote(s))
	}
	c := clause{field: s[:i]}
	s = strings.TrimLeft(s[i:], " \t\n")
	for _, op := range []string{"<=", ">=", "!=", "=", "<", ">"} {
		if strings.HasPrefix(s, op) {
			c.op = op
			s = strings.TrimLeft(s[len(op):], " \t\n")
			break
		}
	}
	if c.op == "" {
		return clause{}, "", filterError("expected a comparison after " + quote(c.field))
	}
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return clause{}, "", filterError("unterminated string")
		}
		c.value = s[1 : end+1]
		return c, strings.TrimLeft(s[end+2:], " \t\n"), nil
	}
	c.value, s = nextWord(s)
	if c.value == "" || strings.ContainsAny(c.value, "()") {
		return clause{}, "", filterError("expected a value after " + quote(c.field+" "+c.op))
	}
	return c, s, nil
}

func isFieldChar(b byte) bool {
	return b == '.' || b == '_' || b == '-' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func quote(s string) string { return `"` + s + `"` }

// fieldFunc returns the value of a field of one resource: ok is false when
// the field is unknown to the resource type, present false when it is a label
// the resource does not carry.
type fieldFunc func(field string) (value string, present, ok bool)

// matches evaluates the clauses against one resource. Time fields compare as
// RFC 3339 timestamps; '*' matches any present value.
func matches(clauses []clause, get fieldFunc, timeFields ...string) (bool, error) {
	for _, c := range clauses {
		v, present, ok := get(c.field)
		if !ok {
			return false, invalid("Filter field %q is not supported.", c.field)
		}
		isTime := false
		for _, f := range timeFields {
			isTime = isTime || f == c.field
		}
		var hit bool
		switch {
		case isTime:
			want, err := time.Parse(time.RFC3339Nano, c.value)
			if err != nil {
				return false, invalid("Filter %s %s %q: not an RFC 3339 time.", c.field, c.op, c.value)
			}
			got, _ := time.Parse(time.RFC3339Nano, v)
			hit = compare(got.Compare(want), c.op)
		case c.op == "=" && c.value == "*":
			hit = present
		case c.op == "=":
			hit = present && v == c.value
		case c.op == "!=":
			hit = !present || v != c.value
		default:
			return false, invalid("Filter %s: %s applies to time fields only.", c.field, c.op)
		}
		if !hit {
			return false, nil
		}
	}
	return true, nil
}

func compare(cmp int, op string) bool {
	switch op {
	case "=":
		return cmp == 0
	case "!=":
		return cmp != 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	default:
		return cmp >= 0
	}
}

// checkFields rejects a filter naming a field outside fields ("labels."
// prefixes are always allowed), before any resource is looked at.
func checkFields(clauses []clause, fields ...string) error {
	for _, c := range clauses {
		if k, ok := strings.CutPrefix(c.field, "labels."); ok && k != "" {
			continue
		}
		known := false
		for _, f := range fields {
			known = known || f == c.field
		}
		if !known {
			return invalid("Filter field %q is not supported.", c.field)
		}
	}
	return nil
}
