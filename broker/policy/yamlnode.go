package policy

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The helpers below read a yaml.Node tree strictly: every value must have the
// expected kind and tag, mapping keys are unique, aliases and merge keys are
// refused (a policy under review must say what it means where it says it).

// fields walks a mapping, calling fn for each key in file order. It reports
// duplicate keys and keys fn does not know (fn returns false).
func (l *errorList) fields(n *yaml.Node, what string, fn func(key string, k, v *yaml.Node) bool) {
	if !l.kind(n, yaml.MappingNode, what, "a mapping") {
		return
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			l.at(k, "%s: merge keys (<<) are not allowed", what)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			l.at(k, "%s: keys must be plain strings", what)
			continue
		}
		if line, dup := seen[k.Value]; dup {
			l.at(k, "%s: duplicate key %q (first at line %d)", what, k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		if v.Kind == yaml.AliasNode {
			l.at(v, "%s: %s: YAML aliases are not allowed", what, k.Value)
			continue
		}
		if !fn(k.Value, k, v) {
			l.at(k, "%s: unknown field %q", what, k.Value)
		}
	}
}

// kind checks that n is of kind k.
func (l *errorList) kind(n *yaml.Node, k yaml.Kind, what, want string) bool {
	if n.Kind == yaml.AliasNode {
		l.at(n, "%s: YAML aliases are not allowed", what)
		return false
	}
	if n.Kind != k {
		l.at(n, "%s: expected %s", what, want)
		return false
	}
	return true
}

// str reads a non-empty string scalar.
func (l *errorList) str(n *yaml.Node, what string) string {
	if !l.kind(n, yaml.ScalarNode, what, "a string") {
		return ""
	}
	if n.ShortTag() != "!!str" {
		l.at(n, "%s: expected a string, got %s %q (quote it)", what, strings.TrimPrefix(n.ShortTag(), "!!"), n.Value)
		return ""
	}
	if strings.TrimSpace(n.Value) == "" {
		l.at(n, "%s: must not be empty", what)
		return ""
	}
	return n.Value
}

// strList reads a sequence of non-empty strings.
func (l *errorList) strList(n *yaml.Node, what string) []string {
	if !l.kind(n, yaml.SequenceNode, what, "a list") {
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if s := l.str(c, what); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// boolean reads true or false.
func (l *errorList) boolean(n *yaml.Node, what string) bool {
	if !l.kind(n, yaml.ScalarNode, what, "true or false") {
		return false
	}
	if n.ShortTag() != "!!bool" {
		l.at(n, "%s: expected true or false, got %q", what, n.Value)
		return false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
}

// duration reads a Go duration ("90m", "2h") within (0, max].
func (l *errorList) duration(n *yaml.Node, what string, max time.Duration) time.Duration {
	s := l.str(n, what)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		l.at(n, "%s: bad duration %q (use e.g. \"90m\" or \"2h\")", what, s)
	case d <= 0:
		l.at(n, "%s: must be positive", what)
	case d > max:
		l.at(n, "%s: %s exceeds the maximum of %s", what, d, max)
	default:
		return d
	}
	return 0
}
