package events

import (
	"strings"
	"testing"
)

// BenchmarkDecodeValidate measures what a consumer pays per message: Decode
// (envelope and schema validation) and the typed decode.
func BenchmarkDecodeValidate(b *testing.B) {
	e, err := NewJobRequested(testSource, sampleJobRequest(), WithTraceparent(testTrace))
	if err != nil {
		b.Fatal(err)
	}
	m, err := Encode(e)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(m.Data)))
	b.ReportAllocs()
	for b.Loop() {
		validated.reset() // a message that arrives is new: its data is validated
		e, err := Decode(m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeJobRequest(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeValidateByType runs Decode and the typed decode for every
// type of the catalog.
func BenchmarkDecodeValidateByType(b *testing.B) {
	for _, s := range samples() {
		e, err := s.build()
		if err != nil {
			b.Fatal(err)
		}
		m, err := Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.TrimPrefix(s.typ, Prefix+"."), func(b *testing.B) {
			b.SetBytes(int64(len(m.Data)))
			b.ReportAllocs()
			for b.Loop() {
				validated.reset()
				e, err := Decode(m)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.decode(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNewEncode measures what a producer pays: New (with schema
// validation) and Encode (whose validation of the same bytes is a lookup).
func BenchmarkNewEncode(b *testing.B) {
	d := sampleDecision(OutcomeApproved)
	b.ReportAllocs()
	for b.Loop() {
		e, err := NewJobApproved(testSource, d)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Encode(e); err != nil {
			b.Fatal(err)
		}
	}
}
