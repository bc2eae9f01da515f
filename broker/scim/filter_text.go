package scim

import (
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// placeholder names the value filters that extractValuePaths takes out of
// a filter: emails[...] becomes emails.iisValuePath0 pr. A filter that
// spells the name itself is refused.
const placeholder = "iisValuePath"

// nestingDepth is the deepest nesting of parentheses and brackets outside
// strings, read before the parser sees the filter.
func nestingDepth(raw string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			i = stringEnd(raw, i)
		case '(', '[':
			depth++
			deepest = max(deepest, depth)
		case ')', ']':
			depth--
		}
	}
	return deepest
}

// stringEnd returns the index of the quote that closes the string opening
// at i, or len(raw) if it is unterminated (the parser refuses that).
func stringEnd(raw string, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(raw)
}

// extractValuePaths takes the value filters out of a filter, so that each is
// parsed as a whole filter of its own: the parser's grammar (RFC 7644 with
// errata 4690) allows at most two comparisons inside brackets and no
// parentheses, which real clients exceed. Each attr[filter] becomes
// attr.iisValuePathN pr, and the filter the Nth value filter. The form IdPs
// use for e-mail lookups, attr[filter].sub op value, becomes the value
// filter (filter) and sub op value. Only tokens move: the results are
// parsed, and refused, like any filter.
func extractValuePaths(raw string) (string, []string, error) {
	var (
		b    strings.Builder
		vps  []string
		last int
	)
	for i := 0; i < len(raw); i++ {
		switch ch := raw[i]; {
		case ch == '"':
			i = stringEnd(raw, i)
		case ch == ']':
			return "", nil, badRequest(typeInvalidFilter, "the filter has a ] without [")
		case ch == '[':
			start := i
			for start > 0 && (isNameChar(raw[start-1]) || raw[start-1] == ':' || raw[start-1] == '.') {
				start--
			}
			if start == i {
				return "", nil, badRequest(typeInvalidFilter, "a value filter needs an attribute before [")
			}
			close, err := closingBracket(raw, i)
			if err != nil {
				return "", nil, err
			}
			inner, end := raw[i+1:close], close+1
			if end < len(raw) && raw[end] == '.' {
				sub, op, val, e, ok := comparisonAfter(raw, end+1)
				if !ok {
					return "", nil, badRequest(typeInvalidFilter, "the filter cannot be parsed")
				}
				inner = "(" + inner + ") and " + strings.TrimSpace(sub+" "+op+" "+val)
				end = e
			}
			b.WriteString(raw[last:i])
			b.WriteString("." + placeholder + strconv.Itoa(len(vps)) + " pr")
			vps = append(vps, inner)
			last, i = end, end-1
		case hasPrefixFold(raw[i:], placeholder):
			return "", nil, badRequest(typeInvalidFilter, "unknown attribute %s", placeholder)
		}
	}
	b.WriteString(raw[last:])
	return b.String(), vps, nil
}

// closingBracket returns the index of the ] that closes the [ at i.
func closingBracket(raw string, i int) (int, error) {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '"':
			j = stringEnd(raw, j)
		case '[':
			return 0, badRequest(typeInvalidFilter, "value filters cannot nest")
		case ']':
			return j, nil
		}
	}
	return 0, badRequest(typeInvalidFilter, "the filter has a [ without ]")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// placeholderIndex reports which value filter e stands for, if it is one
// of the n placeholders.
func placeholderIndex(e *filter.AttributeExpression, n int) (int, bool) {
	sub := e.AttributePath.SubAttributeName()
	if !strings.EqualFold(string(e.Operator), string(filter.PR)) || !strings.HasPrefix(sub, placeholder) {
		return 0, false
	}
	i, err := strconv.Atoi(sub[len(placeholder):])
	return i, err == nil && i >= 0 && i < n
}

// comparisonAfter reads `sub op value` (or `sub pr`) starting at i, just
// after the dot that follows a value filter, and returns where it ends.
func comparisonAfter(raw string, i int) (sub, op, val string, end int, ok bool) {
	word := func(i int) (string, int) {
		j := i
		for j < len(raw) && isNameChar(raw[j]) {
			j++
		}
		return raw[i:j], j
	}
	space := func(i int) int {
		for i < len(raw) && raw[i] == ' ' {
			i++
		}
		return i
	}
	sub, i = word(i)
	if sub == "" || i >= len(raw) || raw[i] != ' ' {
		return "", "", "", 0, false
	}
	op, i = word(space(i))
	if op == "" {
		return "", "", "", 0, false
	}
	if strings.EqualFold(op, "pr") {
		return sub, op, "", i, true
	}
	i = space(i)
	if i < len(raw) && raw[i] == '"' {
		j := stringEnd(raw, i)
		if j >= len(raw) {
			return "", "", "", 0, false
		}
		return sub, op, raw[i : j+1], j + 1, true
	}
	j := i
	for j < len(raw) && raw[j] != ' ' && raw[j] != ')' {
		j++
	}
	if j == i {
		return "", "", "", 0, false
	}
	return sub, op, raw[i:j], j, true
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$'
}
