package events

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dataproc-iis/iis/broker/fault"
)

var decodeReasons = map[string]bool{
	ReasonNotCloudEvent: true, ReasonMalformed: true, ReasonOversized: true,
	ReasonUnknownType: true, ReasonSchemaViolation: true,
}

// FuzzDecode feeds Decode arbitrary data and attributes. Decode must never
// panic, every error must be a permanent *fault.Error with a Decode reason,
// and whatever it accepts must encode and decode again to the same event.
func FuzzDecode(f *testing.F) {
	valid := requestMessage(f)
	f.Add(valid.Data, "application/json", "1.0", JobRequested, "ext", "v")
	f.Add(valid.Data, "", "1.0", JobRequested, "", "")
	for _, s := range samples() {
		e, _ := s.build()
		m, _ := Encode(e)
		f.Add(m.Data, "application/json", "1.0", s.typ, "requestid", "r-1")
	}
	structured := []byte(`{"specversion":"1.0","id":"1","source":"//x","type":"` + JobRequested + `","auditseq":7,"data":` + string(valid.Data) + `}`)
	f.Add(structured, "application/cloudevents+json", "", "", "", "")
	for _, fx := range loadFixtures(f) {
		m := fx.message(f)
		f.Add(m.Data, m.Attributes["Content-Type"], m.Attributes["ce-specversion"], m.Attributes["ce-type"], "traceparent", "00-x")
	}
	f.Fuzz(func(t *testing.T, data []byte, contentType, specversion, typ, extName, extValue string) {
		attrs := map[string]string{"ce-id": "fuzz-1", "ce-source": "//fuzz"}
		for k, v := range map[string]string{"Content-Type": contentType, "ce-specversion": specversion, "ce-type": typ, "ce-" + extName: extValue} {
			if v != "" {
				attrs[k] = v
			}
		}
		m := Message{Data: data, Attributes: attrs}
		e, err := Decode(m)
		if err != nil {
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Kind != fault.Permanent || !decodeReasons[fe.Reason] {
				t.Fatalf("Decode() error = %#v, want a permanent *fault.Error with a Decode reason", err)
			}
			return
		}
		again, err := Encode(e)
		if err != nil {
			t.Fatalf("Encode(Decode(m)) = %v", err)
		}
		e2, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(m))) = %v", err)
		}
		if e2.ID() != e.ID() || e2.Type() != e.Type() || e2.Source() != e.Source() || !bytes.Equal(e2.Data(), e.Data()) {
			t.Fatalf("Decode(Encode(e)) = %v, want %v", e2, e)
		}
	})
}
