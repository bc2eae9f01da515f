package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/go-cmp/cmp"
)

// requestMessage returns a valid binary-mode job request and its event.
func requestMessage(t testing.TB) Message {
	t.Helper()
	e := mustNew(t, JobRequested, sampleJobRequest(), WithID("req-1"), WithTime(testTime), WithTraceparent(testTrace))
	m, err := Encode(e)
	if err != nil {
		t.Fatalf("Encode() = %v", err)
	}
	return m
}

func TestEncodeAttributes(t *testing.T) {
	m := requestMessage(t)
	want := map[string]string{
		"ce-specversion":     "1.0",
		"ce-id":              "req-1",
		"ce-source":          testSource,
		"ce-type":            JobRequested,
		"ce-time":            "2025-11-27T02:00:03.512Z",
		"ce-dataschema":      "https://dataproc-iis.dev/schemas/job.requested.v1.json",
		"ce-datacontenttype": "application/json",
		"Content-Type":       "application/json",
		"ce-traceparent":     testTrace,
	}
	if diff := cmp.Diff(want, m.Attributes); diff != "" {
		t.Errorf("Encode() attributes (-want +got):\n%s", diff)
	}
	var got JobRequest
	if err := json.Unmarshal(m.Data, &got); err != nil {
		t.Fatalf("Encode() data is not JSON: %v", err)
	}
	if diff := cmp.Diff(sampleJobRequest(), got); diff != "" {
		t.Errorf("Encode() data (-want +got):\n%s", diff)
	}
}

func TestDecodeContentTypes(t *testing.T) {
	tests := []struct {
		name   string
		set    map[string]string
		drop   []string
		reason string // "" = accepted
	}{
		{"both written by Encode", nil, nil, ""},
		{"only Content-Type", nil, []string{"ce-datacontenttype"}, ""},
		{"only lower-case content-type", map[string]string{"content-type": "application/json"}, []string{"ce-datacontenttype", "Content-Type"}, ""},
		{"only ce-datacontenttype", nil, []string{"Content-Type"}, ""},
		{"none: JSON implied", nil, []string{"ce-datacontenttype", "Content-Type"}, ""},
		{"charset utf-8", map[string]string{"Content-Type": "application/json; charset=UTF-8", "ce-datacontenttype": "application/json;charset=utf-8"}, nil, ""},
		{"upper-case media type", map[string]string{"Content-Type": "Application/JSON"}, nil, ""},
		{"text/plain", map[string]string{"Content-Type": "text/plain"}, nil, ReasonMalformed},
		{"ce-datacontenttype disagrees", map[string]string{"ce-datacontenttype": "application/xml"}, nil, ReasonMalformed},
		{"content-type disagrees", map[string]string{"content-type": "application/octet-stream"}, nil, ReasonMalformed},
		{"latin-1 charset", map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, nil, ReasonMalformed},
		{"unparsable", map[string]string{"Content-Type": "application/json; ;"}, nil, ReasonMalformed},
		{"batched mode", map[string]string{"Content-Type": "application/cloudevents-batch+json"}, nil, ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := requestMessage(t)
			maps.Copy(m.Attributes, tt.set)
			for _, k := range tt.drop {
				delete(m.Attributes, k)
			}
			e, err := Decode(m)
			if tt.reason != "" {
				wantFault(t, "Decode("+tt.name+")", err, tt.reason)
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s) = %v, want nil", tt.name, err)
			}
			if e.DataContentType() == "" || !isJSON(e.DataContentType()) {
				t.Errorf("Decode(%s).DataContentType() = %q, want JSON", tt.name, e.DataContentType())
			}
			if _, err := DecodeJobRequest(e); err != nil {
				t.Errorf("DecodeJobRequest() = %v", err)
			}
		})
	}
}

func TestDecodeStructured(t *testing.T) {
	e := mustNew(t, JobRequested, sampleJobRequest(), WithID("req-1"), WithTime(testTime), WithTraceparent(testTrace), WithSubject("s"))
	sdkJSON, err := json.Marshal(e) // the SDK's own structured encoding
	if err != nil {
		t.Fatalf("json.Marshal(event) = %v", err)
	}
	b64 := map[string]any{
		"specversion": "1.0", "id": "req-1", "source": testSource, "type": JobRequested, "subject": "s",
		"time": "2025-11-27T02:00:03.512Z", "datacontenttype": "application/json", "traceparent": testTrace,
		"data_base64": base64.StdEncoding.EncodeToString(e.Data()),
	}
	b64JSON, _ := json.Marshal(b64)
	tests := []struct {
		name string
		ct   map[string]string
		data []byte
	}{
		{"sdk encoding", map[string]string{"Content-Type": "application/cloudevents+json"}, sdkJSON},
		{"lower-case key with charset", map[string]string{"content-type": "application/cloudevents+json; charset=utf-8"}, sdkJSON},
		{"data_base64", map[string]string{"Content-Type": "application/cloudevents+json"}, b64JSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(Message{Data: tt.data, Attributes: tt.ct})
			if err != nil {
				t.Fatalf("Decode(structured %s) = %v", tt.name, err)
			}
			want := envelopeOf(e)
			if tt.name == "data_base64" {
				want.DataSchema = ""
			}
			if diff := cmp.Diff(want, envelopeOf(got)); diff != "" {
				t.Errorf("Decode(structured %s) envelope (-want +got):\n%s", tt.name, diff)
			}
			r, err := DecodeJobRequest(got)
			if err != nil {
				t.Fatalf("DecodeJobRequest() = %v", err)
			}
			if diff := cmp.Diff(sampleJobRequest(), r); diff != "" {
				t.Errorf("DecodeJobRequest(structured %s) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestDecodeStructuredExtensionValues(t *testing.T) {
	data, _ := json.Marshal(sampleJobRequest())
	doc := `{"specversion":"1.0","id":"1","source":"//x","type":"` + JobRequested +
		`","auditseq":42,"flag":true,"gone":null,"data":` + string(data) + `}`
	e, err := Decode(Message{Data: []byte(doc), Attributes: map[string]string{"Content-Type": "application/cloudevents+json"}})
	if err != nil {
		t.Fatalf("Decode() = %v", err)
	}
	want := map[string]any{ExtAuditSeq: "42", "flag": "true"}
	if diff := cmp.Diff(want, e.Extensions()); diff != "" {
		t.Errorf("Decode() extensions (-want +got):\n%s", diff)
	}
	m, err := Encode(e)
	if err != nil {
		t.Fatalf("Encode(structured-decoded event) = %v", err)
	}
	if m.Attributes["ce-auditseq"] != "42" || m.Attributes["ce-flag"] != "true" {
		t.Errorf("Encode() attributes = %v, want ce-auditseq=42 and ce-flag=true", m.Attributes)
	}
}

func TestOversized(t *testing.T) {
	valid := requestMessage(t)
	padded := append(bytes.Clone(valid.Data), bytes.Repeat([]byte(" "), MaxDataSize-len(valid.Data))...)
	if _, err := Decode(Message{Data: padded, Attributes: valid.Attributes}); err != nil {
		t.Errorf("Decode(data of exactly MaxDataSize) = %v, want nil", err)
	}
	tests := []struct {
		name string
		m    Message
	}{
		{"binary", Message{Data: append(padded, ' '), Attributes: valid.Attributes}},
		{"not even JSON", Message{Data: bytes.Repeat([]byte{0xff}, MaxDataSize+1), Attributes: valid.Attributes}},
		{"no attributes", Message{Data: make([]byte, MaxDataSize+1)}},
		{"structured", Message{Data: make([]byte, MaxDataSize+1), Attributes: map[string]string{"Content-Type": "application/cloudevents+json"}}},
	}
	for _, tt := range tests {
		_, err := Decode(tt.m)
		wantFault(t, "Decode(oversized "+tt.name+")", err, ReasonOversized)
	}
	big := sampleJobRequest()
	big.Job.Args = []string{strings.Repeat("a", 4000)}
	for len(big.Job.Args) < 70 {
		big.Job.Args = append(big.Job.Args, big.Job.Args[0])
	}
	_, err := NewJobRequested(testSource, big)
	wantFault(t, "NewJobRequested(280 KB of args)", err, ReasonOversized)
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(e *event.Event)
		reason string
	}{
		{"extension value over 1024 bytes", func(e *event.Event) { e.SetExtension("note", strings.Repeat("v", MaxAttributeValue+1)) }, ReasonMalformed},
		{"extension value of exactly 1024 bytes", func(e *event.Event) { e.SetExtension("note", strings.Repeat("v", MaxAttributeValue)) }, ""},
		{"attribute key over 256 bytes", func(e *event.Event) { e.SetExtension(strings.Repeat("k", MaxAttributeKey-2), "v") }, ReasonMalformed},
		{"attribute key of exactly 256 bytes", func(e *event.Event) { e.SetExtension(strings.Repeat("k", MaxAttributeKey-3), "v") }, ""},
		{"subject over 1024 bytes", func(e *event.Event) { e.SetSubject(strings.Repeat("s", MaxAttributeValue+1)) }, ReasonMalformed},
		{"source over 1024 bytes", func(e *event.Event) { e.SetSource("//x/" + strings.Repeat("s", MaxAttributeValue)) }, ReasonMalformed},
		{"extension named data", func(e *event.Event) { e.SetExtension("data", "x") }, ReasonMalformed},
		{"too many attributes", func(e *event.Event) {
			for i := range 95 {
				e.SetExtension("x"+strings.Repeat("y", i), "v")
			}
		}, ReasonMalformed},
		{"data changed after New", func(e *event.Event) { e.DataEncoded = []byte(`{"id_token":"x"}`) }, ReasonSchemaViolation},
		{"type changed after New", func(e *event.Event) { e.SetType(JobApproved) }, ReasonMalformed}, // dataschema no longer matches
		{"foreign datacontenttype", func(e *event.Event) { e.SetDataContentType("text/csv") }, ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustNew(t, JobRequested, sampleJobRequest())
			tt.edit(&e)
			m, err := Encode(e)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Encode(%s) = %v, want nil", tt.name, err)
				}
				for k, v := range m.Attributes {
					if len(k) > MaxAttributeKey || len(v) > MaxAttributeValue {
						t.Errorf("Encode(%s) wrote attribute %q of %d bytes", tt.name, k[:min(len(k), 20)], len(v))
					}
				}
				if _, err := Decode(m); err != nil {
					t.Errorf("Decode(Encode(%s)) = %v", tt.name, err)
				}
				return
			}
			wantFault(t, "Encode("+tt.name+")", err, tt.reason)
		})
	}
}
