package policy

import (
	"fmt"
	"strings"
)

// glob is a precompiled target pattern: '*' matches any run of characters,
// everything else matches itself. Patterns and values are compared in lower
// case (project ids, regions and cluster names are lower case in Google
// Cloud, so folding loses nothing and defeats case tricks).
type glob struct {
	src   string
	parts []string // literal parts between stars
	any   bool     // the pattern is "*"
	exact bool     // the pattern has no star
	lead  bool     // the pattern starts with a star
	trail bool     // the pattern ends with a star
}

// compileGlob checks and compiles a target pattern.
func compileGlob(pattern string) (glob, error) {
	p := strings.ToLower(pattern)
	if p == "" {
		return glob{}, fmt.Errorf("empty pattern (use \"*\" to match anything)")
	}
	for _, r := range p {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("*-_.:", r)
		if !ok {
			return glob{}, fmt.Errorf("bad pattern %q: only letters, digits, '-', '_', '.', ':' and '*' are allowed", pattern)
		}
	}
	for strings.Contains(p, "**") {
		p = strings.ReplaceAll(p, "**", "*")
	}
	g := glob{src: pattern, any: p == "*", exact: !strings.Contains(p, "*")}
	g.lead = strings.HasPrefix(p, "*")
	g.trail = strings.HasSuffix(p, "*")
	for _, part := range strings.Split(p, "*") {
		if part != "" {
			g.parts = append(g.parts, part)
		}
	}
	return g, nil
}

// match reports whether the lower-cased value s matches the pattern.
func (g glob) match(s string) bool {
	switch {
	case g.any:
		return true
	case g.exact:
		return s == g.parts[0]
	}
	parts := g.parts
	if !g.lead {
		if !strings.HasPrefix(s, parts[0]) {
			return false
		}
		s, parts = s[len(parts[0]):], parts[1:]
	}
	if !g.trail && len(parts) > 0 {
		last := parts[len(parts)-1]
		if !strings.HasSuffix(s, last) {
			return false
		}
		s, parts = s[:len(s)-len(last)], parts[:len(parts)-1]
	}
	for _, part := range parts {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return true
}
