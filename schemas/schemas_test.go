package schemas

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// load parses every embedded schema file, keyed by file name.
func load(t *testing.T) map[string]map[string]any {
	t.Helper()
	names, err := fs.Glob(FS(), "*.json")
	if err != nil {
		t.Fatalf("fs.Glob: %v", err)
	}
	if len(names) == 0 {
		t.Fatal("no embedded schemas")
	}
	docs := make(map[string]map[string]any, len(names))
	for _, name := range names {
		raw, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Fatalf("fs.ReadFile(%s): %v", name, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: invalid JSON: %v", name, err)
		}
		obj, ok := doc.(map[string]any)
		if !ok {
			t.Fatalf("%s: top level is %T, want an object", name, doc)
		}
		docs[name] = obj
	}
	return docs
}

func compile(t *testing.T, docs map[string]map[string]any) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for name, doc := range docs {
		if err := c.AddResource(URL(name), doc); err != nil {
			t.Fatalf("AddResource(%s): %v", name, err)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(docs))
	for name := range docs {
		sch, err := c.Compile(URL(name))
		if err != nil {
			t.Fatalf("Compile(%s): %v", name, err)
		}
		out[name] = sch
	}
	return out
}

func TestMetadata(t *testing.T) {
	for name, doc := range load(t) {
		t.Run(name, func(t *testing.T) {
			if !strings.HasSuffix(name, ".v1.json") {
				t.Errorf("file name %q does not end in .v<major>.json", name)
			}
			want := map[string]any{"$schema": draft2020, "$id": URL(name), "type": "object", "additionalProperties": false}
			for k, v := range want {
				if doc[k] != v {
					t.Errorf("%s = %v, want %v", k, doc[k], v)
				}
			}
			for _, k := range []string{"title", "description"} {
				if s, _ := doc[k].(string); strings.TrimSpace(s) == "" {
					t.Errorf("%s is empty", k)
				}
			}
			if ex, _ := doc["examples"].([]any); len(ex) == 0 {
				t.Error("no examples")
			}
			closedObjects(t, "#", doc)
		})
	}
}

// closedObjects reports every schema of type object with declared properties
// that does not forbid additional properties.
func closedObjects(t *testing.T, ptr string, node any) {
	switch n := node.(type) {
	case map[string]any:
		if n["type"] == "object" && n["properties"] != nil && n["additionalProperties"] != false {
			t.Errorf("%s: object with properties but additionalProperties is not false", ptr)
		}
		for k, v := range n {
			if k == "examples" {
				continue
			}
			closedObjects(t, ptr+"/"+k, v)
		}
	case []any:
		for _, v := range n {
			closedObjects(t, ptr+"/[]", v)
		}
	}
}

func TestExamplesValidate(t *testing.T) {
	docs := load(t)
	compiled := compile(t, docs)
	for name, doc := range docs {
		examples, _ := doc["examples"].([]any)
		for i, ex := range examples {
			t.Run(fmt.Sprintf("%s/examples/%d", name, i), func(t *testing.T) {
				if err := compiled[name].Validate(ex); err != nil {
					t.Errorf("Validate(examples[%d]) = %v, want nil", i, err)
				}
			})
		}
	}
}

// TestExamplesAreNotVacuous checks that each schema rejects something: an
// empty object, and each example with an unknown property added.
func TestExamplesAreNotVacuous(t *testing.T) {
	docs := load(t)
	compiled := compile(t, docs)
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			if err := compiled[name].Validate(map[string]any{}); err == nil {
				t.Error("Validate({}) = nil, want an error")
			}
			ex := doc["examples"].([]any)[0].(map[string]any)
			extra := map[string]any{"unexpected_property": "x"}
			for k, v := range ex {
				extra[k] = v
			}
			if err := compiled[name].Validate(extra); err == nil {
				t.Error("Validate(example + unexpected_property) = nil, want an error")
			}
		})
	}
}

// TestSharedDefsAgree keeps the $defs that several schemas repeat (so that
// each schema stands alone) identical everywhere.
func TestSharedDefsAgree(t *testing.T) {
	first := map[string]string{}
	defs := map[string]any{}
	for name, doc := range load(t) {
		d, _ := doc["$defs"].(map[string]any)
		for k, v := range d {
			if prev, ok := defs[k]; ok {
				if diff := cmp.Diff(prev, v); diff != "" {
					t.Errorf("$defs/%s differs between %s and %s (-%s +%s):\n%s", k, first[k], name, first[k], name, diff)
				}
				continue
			}
			defs[k], first[k] = v, name
		}
	}
}

func TestFormatsAreAsserted(t *testing.T) {
	compiled := compile(t, load(t))
	sch := compiled["credential.issued.v1.json"]
	bad := map[string]any{
		"request_id":      "r-1",
		"service_account": "sa-analytics-etl@acme-analytics-prod.iam.gserviceaccount.com",
		"scopes":          []any{"https://www.googleapis.com/auth/cloud-platform"},
		"expire_time":     "27 Nov 2025 02:15",
		"lifetime":        "15m",
		"fingerprint":     "sha256:9f86d081884c7d659a2feaa0c55ad015",
	}
	if err := sch.Validate(bad); err == nil {
		t.Error("Validate(expire_time not RFC 3339) = nil, want a format error")
	}
}
