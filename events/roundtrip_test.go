package events

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/go-cmp/cmp"
)

// envelope is the part of an event a round trip must keep.
type envelope struct {
	SpecVersion, ID, Source, Type, Subject, DataContentType, DataSchema string
	Time                                                                time.Time
	Extensions                                                          map[string]any
}

func envelopeOf(e event.Event) envelope {
	return envelope{
		SpecVersion: e.SpecVersion(), ID: e.ID(), Source: e.Source(), Type: e.Type(), Subject: e.Subject(),
		DataContentType: e.DataContentType(), DataSchema: e.DataSchema(), Time: e.Time(), Extensions: e.Extensions(),
	}
}

func TestSamplesCoverCatalog(t *testing.T) {
	got := map[string]bool{}
	for _, s := range samples() {
		got[s.typ] = true
	}
	for _, s := range Catalog() {
		if !got[s.Type] {
			t.Errorf("no round-trip sample for %s", s.Type)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, s := range samples() {
		t.Run(strings.TrimPrefix(s.typ, Prefix+"."), func(t *testing.T) {
			e, err := s.build(WithSubject("requests/"+testRequest), WithRequestID(testRequest), WithTraceparent(testTrace))
			if err != nil {
				t.Fatalf("New(%s) = %v", s.typ, err)
			}
			m, err := Encode(e)
			if err != nil {
				t.Fatalf("Encode(%s) = %v", s.typ, err)
			}
			spec, _ := Lookup(s.typ)
			for k, want := range map[string]string{
				"ce-type": s.typ, "ce-dataschema": spec.Schema, "Content-Type": ContentType,
				"ce-datacontenttype": ContentType, "ce-requestid": testRequest, "ce-traceparent": testTrace,
			} {
				if got := m.Attributes[k]; got != want {
					t.Errorf("Encode(%s).Attributes[%q] = %q, want %q", s.typ, k, got, want)
				}
			}
			got, err := Decode(m)
			if err != nil {
				t.Fatalf("Decode(Encode(%s)) = %v", s.typ, err)
			}
			if diff := cmp.Diff(envelopeOf(e), envelopeOf(got)); diff != "" {
				t.Errorf("Decode(Encode(%s)) envelope (-want +got):\n%s", s.typ, diff)
			}
			data, err := s.decode(got)
			if err != nil {
				t.Fatalf("typed decode of %s = %v", s.typ, err)
			}
			if diff := cmp.Diff(s.data, data); diff != "" {
				t.Errorf("typed decode of %s (-want +got):\n%s", s.typ, diff)
			}
		})
	}
}

// TestTypedDecoderRefusesOtherTypes checks that a typed decoder only reads
// the types whose data it owns.
func TestTypedDecoderRefusesOtherTypes(t *testing.T) {
	all := samples()
	for _, s := range all {
		e, err := s.build()
		if err != nil {
			t.Fatalf("New(%s) = %v", s.typ, err)
		}
		for _, other := range all {
			spec, _ := Lookup(s.typ)
			ospec, _ := Lookup(other.typ)
			_, err := other.decode(e)
			if wantOK := spec.Data == ospec.Data; (err == nil) != wantOK {
				t.Errorf("decoder of %s on a %s event: err = %v, want ok=%v", other.typ, s.typ, err, wantOK)
			}
			if err != nil && reasonOf(err) != ReasonTypeMismatch {
				t.Errorf("decoder of %s on a %s event: reason = %q, want %q", other.typ, s.typ, reasonOf(err), ReasonTypeMismatch)
			}
		}
	}
}
