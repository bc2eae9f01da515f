package events

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/schemas"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var typeRE = regexp.MustCompile(`^dev\.dataproc-iis(\.[a-z][a-z_]*)+\.v[0-9]+$`)

func TestCatalog(t *testing.T) {
	files := map[string]bool{}
	for _, s := range Catalog() {
		if !typeRE.MatchString(s.Type) {
			t.Errorf("type %q does not read <prefix>.<resource>.<verb>.v<major>", s.Type)
		}
		if want := "https://dataproc-iis.dev/schemas/" + strings.TrimPrefix(s.Type, Prefix+".") + ".json"; s.Schema != want {
			t.Errorf("Lookup(%s).Schema = %q, want %q", s.Type, s.Schema, want)
		}
		if files[s.File] {
			t.Errorf("schema %s used twice", s.File)
		}
		files[s.File] = true
		if sch, err := SchemaFor(s.Type); err != nil || sch == nil {
			t.Errorf("SchemaFor(%s) = %v, %v", s.Type, sch, err)
		}
		if !Known(s.Type) {
			t.Errorf("Known(%s) = false", s.Type)
		}
	}
	if len(Catalog()) != 37 {
		t.Errorf("len(Catalog()) = %d, want 37", len(Catalog()))
	}
	names, _ := fs.Glob(schemas.FS(), "*.json")
	for _, n := range names {
		if !files[n] {
			t.Errorf("schema file %s belongs to no catalog type", n)
		}
	}
	_, err := SchemaFor(Prefix + ".job.exploded.v1")
	wantFault(t, "SchemaFor(unknown)", err, ReasonUnknownType)
}

// TestSchemaExamplesMatchGoTypes decodes every schema example strictly into
// the type's Go struct, re-encodes it and compares: a schema and its struct
// that disagree on a field fail here. Each example must also pass New.
func TestSchemaExamplesMatchGoTypes(t *testing.T) {
	for _, s := range Catalog() {
		raw, err := fs.ReadFile(schemas.FS(), s.File)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", s.File, err)
		}
		var doc struct {
			ID       string            `json:"$id"`
			Examples []json.RawMessage `json:"examples"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", s.File, err)
		}
		if doc.ID != s.Schema {
			t.Errorf("%s: $id = %q, want %q", s.File, doc.ID, s.Schema)
		}
		for i, ex := range doc.Examples {
			ptr := reflect.New(s.data).Interface()
			dec := json.NewDecoder(bytes.NewReader(ex))
			dec.DisallowUnknownFields()
			if err := dec.Decode(ptr); err != nil {
				t.Errorf("%s examples[%d]: strict decode into %s: %v", s.File, i, s.Data, err)
				continue
			}
			again, _ := json.Marshal(ptr)
			if diff := cmp.Diff(generic(t, ex), generic(t, again)); diff != "" {
				t.Errorf("%s examples[%d]: %s does not keep it (-schema +go):\n%s", s.File, i, s.Data, diff)
			}
			if _, err := New(s.Type, testSource, ptr); err != nil {
				t.Errorf("New(%s, examples[%d]) = %v", s.Type, i, err)
			}
		}
	}
}

func generic(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("UnmarshalJSON: %v", err)
	}
	return v
}

// TestReadmeDocumentsCatalog keeps schemas/README.md in step with the catalog.
func TestReadmeDocumentsCatalog(t *testing.T) {
	readme, err := os.ReadFile("../schemas/README.md")
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	for _, s := range Catalog() {
		row := "| `" + s.Type + "` | [" + s.File + "](" + s.File + ")"
		if !bytes.Contains(readme, []byte(row)) {
			t.Errorf("schemas/README.md has no row starting %q", row)
		}
	}
	for _, ext := range []string{ExtCausationID, ExtRequestID, ExtTraceparent, ExtAuditSeq, ExtAuditPrev} {
		if !bytes.Contains(readme, []byte("`"+ext+"`")) {
			t.Errorf("schemas/README.md does not document extension %s", ext)
		}
	}
}
