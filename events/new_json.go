package events

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/cloudevents/sdk-go/v2/event"
)

// NewFromJSON is New for data given as JSON (a CLI flag, a file): it decodes
// data strictly into the type's Go type, refusing unknown fields, and then
// builds and validates the event as New does.
func NewFromJSON(typ, source string, data []byte, opts ...Option) (event.Event, error) {
	s, ok := byType[typ]
	if !ok {
		return event.Event{}, fail(ReasonUnknownType, "events.NewFromJSON: type %q is not in the catalog", typ)
	}
	// Validate first, so that errors read as schema violations with paths.
	if err := validateData(typ, data); err != nil {
		return event.Event{}, err
	}
	v := reflect.New(s.data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return event.Event{}, fail(ReasonMalformed, "events.NewFromJSON: data does not fit %s", s.Data)
	}
	return New(typ, source, v.Interface(), opts...)
}
