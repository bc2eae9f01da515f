package events

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// maxViolations bounds how many violations an error message lists.
const maxViolations = 6

// describe renders a schema validation error without any value taken from
// the instance: each violation is a JSON pointer whose segments are property
// names declared by the schemas or array indexes ("*" stands for anything
// else, such as a label key) and the failed keyword with what the schema
// wants.
func (cs *compiledSchemas) describe(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return "does not match its schema"
	}
	var leaves []string
	seen := map[string]bool{}
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		_, isNames := e.ErrorKind.(*kind.PropertyNames)
		if len(e.Causes) > 0 && !isNames {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		s := "at " + cs.pointer(e.InstanceLocation) + ": " + keyword(e.ErrorKind)
		if isNames {
			// jsonschema v6.0.3 does not copy the instance location of a
			// propertyNames error, so it may be wrong: name the keyword's
			// place in the schema instead.
			_, frag, _ := strings.Cut(e.SchemaURL, "#")
			s = "a property name is not allowed by " + frag
		}
		if !seen[s] {
			seen[s] = true
			leaves = append(leaves, s)
		}
	}
	walk(ve)
	slices.Sort(leaves) // the validator visits properties in map order
	if len(leaves) > maxViolations {
		leaves = append(leaves[:maxViolations], fmt.Sprintf("and %d more", len(leaves)-maxViolations))
	}
	return strings.Join(leaves, "; ")
}

func (cs *compiledSchemas) pointer(loc []string) string {
	if len(loc) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, seg := range loc {
		b.WriteByte('/')
		if cs.names[seg] || isIndex(seg) {
			b.WriteString(seg)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// keyword says which keyword failed and what the schema wants. It reads
// only the schema side of each kind (Want, Missing), never Got.
func keyword(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Required:
		return "missing properties: " + strings.Join(k.Missing, ", ")
	case *kind.DependentRequired:
		return "missing properties: " + strings.Join(k.Missing, ", ")
	case *kind.Type:
		return fmt.Sprintf("got %s, want %s", k.Got, strings.Join(k.Want, " or "))
	case *kind.AdditionalProperties:
		return fmt.Sprintf("unknown properties not allowed (%d)", len(k.Properties))
	case *kind.PropertyNames:
		return "a property name is not allowed"
	case *kind.Enum:
		return "value not allowed, want one of " + primitives(k.Want)
	case *kind.Const:
		return "value not allowed, want " + primitives([]any{k.Want})
	case *kind.Format:
		return "not a valid " + k.Want
	case *kind.Pattern:
		return "does not match pattern " + k.Want
	case *kind.MinLength:
		return fmt.Sprintf("shorter than %d characters", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("longer than %d characters", k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("fewer than %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("more than %d items", k.Want)
	case *kind.MinProperties:
		return fmt.Sprintf("fewer than %d properties", k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("more than %d properties", k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("items %d and %d are equal", k.Duplicates[0], k.Duplicates[1])
	case *kind.Minimum:
		return "less than minimum " + k.Want.RatString()
	case *kind.Maximum:
		return "greater than maximum " + k.Want.RatString()
	case *kind.OneOf:
		return "matches more than one alternative (oneOf)"
	case *kind.Not:
		return "property combination not allowed (not)"
	case *kind.FalseSchema:
		return "not allowed"
	default:
		return "fails " + strings.Join(k.KeywordPath(), "/")
	}
}

// primitives renders schema enum or const values (never instance values).
func primitives(vals []any) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprint(v)
	}
	return strings.Join(out, ", ")
}
