package ocsf_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dataproc-iis/iis/broker/ocsf"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/schemas"
)

func ocsfSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/ocsf-1.1.0-subset.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("ocsf.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("ocsf.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// examples returns an encoded event for every example of every catalog
// type's schema: every type, and the shapes its examples cover.
func examples(t *testing.T) map[string][]events.Message {
	t.Helper()
	out := map[string][]events.Message{}
	for _, spec := range events.Catalog() {
		raw, err := fs.ReadFile(schemas.FS(), spec.File)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Examples []json.RawMessage `json:"examples"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		for _, ex := range doc.Examples {
			e := event.New()
			e.SetID(uuid.NewString())
			e.SetSource("//dataproc-iis.dev/test")
			e.SetType(spec.Type)
			e.SetTime(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
			e.SetDataSchema(spec.Schema)
			e.SetExtension(events.ExtRequestID, "a3f1c9e2-6b7d-4e8f-9a0b-1c2d3e4f5a6b")
			if err := e.SetData(events.ContentType, []byte(ex)); err != nil {
				t.Fatal(err)
			}
			m, err := events.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			m.Attributes["ce-auditseq"], m.Attributes["ce-auditprev"] = "42", strings.Repeat("0", 64)
			out[spec.Type] = append(out[spec.Type], m)
		}
	}
	return out
}

// TestMapEveryCatalogType maps every example of every type and validates
// the OCSF record against the OCSF schema of its class.
func TestMapEveryCatalogType(t *testing.T) {
	sch := ocsfSchema(t)
	exs := examples(t)
	for _, spec := range events.Catalog() {
		if len(exs[spec.Type]) == 0 {
			t.Errorf("%s: no schema example to map", spec.Type)
		}
		for i, m := range exs[spec.Type] {
			rec, err := ocsf.Map(m)
			if err != nil {
				t.Errorf("Map(%s example %d) = %v", spec.Type, i, err)
				continue
			}
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("Map(%s example %d) is not valid OCSF:\n%s\n%v", spec.Type, i, b, err)
			}
			if rec.TypeUID != rec.ClassUID*100+rec.ActivityID || rec.CategoryUID != rec.ClassUID/1000 {
				t.Errorf("Map(%s) type_uid %d, class %d, activity %d, category %d: inconsistent", spec.Type, rec.TypeUID, rec.ClassUID, rec.ActivityID, rec.CategoryUID)
			}
			if rec.Metadata.UID != m.Attributes["ce-id"] || rec.Metadata.CorrelationUID == "" {
				t.Errorf("Map(%s) metadata = %+v, want the CloudEvent id and the request id kept", spec.Type, rec.Metadata)
			}
			ce, _ := rec.Unmapped["cloudevents"].(map[string]string)
			if ce["auditseq"] != "42" || ce["type"] != spec.Type || ce["source"] == "" {
				t.Errorf("Map(%s) unmapped.cloudevents = %v, want every CloudEvents attribute", spec.Type, ce)
			}
			if strings.Contains(string(b), "eyJ") {
				t.Errorf("Map(%s) carries something token-like: %s", spec.Type, b)
			}
		}
	}
}

func TestMapClasses(t *testing.T) {
	exs := examples(t)
	want := map[string]int{
		events.JobApproved: 3003, events.CredentialIssued: 3002, events.JobSubmitted: 6003,
		events.AccessRevoked: 3005, events.UserDeactivated: 3001, events.GroupMembershipChanged: 3006,
		events.EventRejected: 6003, events.AuditCheckpointed: 6003,
		events.ApprovalRequested: 3003, events.ApprovalRecorded: 3003, events.ApprovalExpired: 3003, events.ApprovalGranted: 6003,
	}
	for typ, class := range want {
		rec, err := ocsf.Map(exs[typ][0])
		if err != nil || rec.ClassUID != class {
			t.Errorf("Map(%s) class = %d, %v; want %d", typ, rec.ClassUID, err, class)
		}
	}
	dec, err := ocsf.Map(exs[events.UserDeactivated][0])
	if err != nil || dec.ActivityID != 5 {
		t.Errorf("Map(user.deactivated) activity = %d, %v; want 5 (Disable)", dec.ActivityID, err)
	}
}

func TestMapRefusesInvalid(t *testing.T) {
	if _, err := ocsf.Map(events.Message{Data: []byte(`{}`), Attributes: map[string]string{"ce-type": "x"}}); err == nil {
		t.Error("Map(not a CloudEvent) = nil error, want one")
	}
}

// TestSchemaRefusesBadRecords makes sure the schema would catch a mistake.
func TestSchemaRefusesBadRecords(t *testing.T) {
	sch := ocsfSchema(t)
	for name, doc := range map[string]string{
		"no metadata":             `{"activity_id":1,"category_uid":3,"class_uid":3001,"type_uid":300101,"severity_id":1,"time":1,"user":{"uid":"u"}}`,
		"account change, no user": `{"activity_id":1,"category_uid":3,"class_uid":3001,"type_uid":300101,"severity_id":1,"time":1,"metadata":{"version":"1.1.0","product":{"vendor_name":"v"}}}`,
		"unknown class":           `{"activity_id":1,"category_uid":3,"class_uid":3999,"type_uid":399901,"severity_id":1,"time":1,"metadata":{"version":"1.1.0","product":{"vendor_name":"v"}},"user":{"uid":"u"}}`,
		"unknown attribute":       `{"activity_id":1,"category_uid":3,"class_uid":3001,"type_uid":300101,"severity_id":1,"time":1,"metadata":{"version":"1.1.0","product":{"vendor_name":"v"}},"user":{"uid":"u"},"usr":{}}`,
		"api activity, no api":    `{"activity_id":1,"category_uid":6,"class_uid":6003,"type_uid":600301,"severity_id":1,"time":1,"metadata":{"version":"1.1.0","product":{"vendor_name":"v"}},"actor":{"app_name":"a"},"src_endpoint":{"name":"s"}}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err == nil {
			t.Errorf("%s: the OCSF schema accepted %s", name, doc)
		}
	}
}
