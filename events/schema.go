package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"unicode/utf8"

	"github.com/dataproc-iis/iis/schemas"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compiledSchemas holds the catalog's schemas, compiled once, and the set of
// property names they declare (the only path segments error text may show).
type compiledSchemas struct {
	byType map[string]*jsonschema.Schema
	names  map[string]bool
}

var loadSchemas = sync.OnceValues(func() (*compiledSchemas, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	cs := &compiledSchemas{byType: make(map[string]*jsonschema.Schema, len(catalog)), names: map[string]bool{}}
	fsys := schemas.FS()
	for _, s := range catalog {
		raw, err := fs.ReadFile(fsys, s.File)
		if err != nil {
			return nil, fmt.Errorf("schemas: %w", err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", s.File, err)
		}
		if err := c.AddResource(s.Schema, doc); err != nil {
			return nil, fmt.Errorf("jsonschema.AddResource(%s): %w", s.File, err)
		}
		collectPropertyNames(doc, cs.names)
	}
	for _, s := range catalog {
		sch, err := c.Compile(s.Schema)
		if err != nil {
			return nil, fmt.Errorf("jsonschema.Compile(%s): %w", s.File, err)
		}
		cs.byType[s.Type] = sch
	}
	return cs, nil
})

// collectPropertyNames adds the keys of every "properties" keyword in a
// schema document to names.
func collectPropertyNames(node any, names map[string]bool) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if k == "examples" {
				continue
			}
			if props, ok := v.(map[string]any); ok && k == "properties" {
				for name := range props {
					names[name] = true
				}
			}
			collectPropertyNames(v, names)
		}
	case []any:
		for _, v := range n {
			collectPropertyNames(v, names)
		}
	}
}

// SchemaFor returns the compiled JSON Schema of the data of an event type.
func SchemaFor(typ string) (*jsonschema.Schema, error) {
	cs, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	sch, ok := cs.byType[typ]
	if !ok {
		return nil, fail(ReasonUnknownType, "type is not in the catalog")
	}
	return sch, nil
}

// validateData checks that data is one JSON value, within MaxDataSize, that
// satisfies the schema of typ.
func validateData(typ string, data []byte) error {
	cs, err := loadSchemas()
	if err != nil {
		return err
	}
	sch, ok := cs.byType[typ]
	if !ok {
		return fail(ReasonUnknownType, "type is not in the catalog")
	}
	if len(data) > MaxDataSize {
		return fail(ReasonOversized, "data is %d bytes, limit %d", len(data), MaxDataSize)
	}
	if len(data) == 0 {
		return fail(ReasonMalformed, "data is empty")
	}
	key := validKey(typ, data)
	if validated.has(key) {
		return nil // these very bytes passed this type's schema already
	}
	v, err := parseJSON(data)
	if err != nil {
		return err
	}
	if err := sch.Validate(v); err != nil {
		return fail(ReasonSchemaViolation, "%s data: %s", typ, cs.describe(err))
	}
	validated.add(key)
	return nil
}

// parseJSON parses exactly one JSON value, keeping numbers exact. Its errors
// give an offset, never the offending bytes.
func parseJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, fail(ReasonMalformed, "data is not valid UTF-8")
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fail(ReasonMalformed, "data is not valid JSON (syntax error at byte %d)", syn.Offset)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fail(ReasonMalformed, "data is not valid JSON (unexpected end)")
		}
		return nil, fail(ReasonMalformed, "data is not a single valid JSON value")
	}
	return v, nil
}
