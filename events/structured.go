package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
)

// contextAttributes are the CloudEvents 1.0 context attributes: strings in
// the structured format.
var contextAttributes = map[string]bool{
	"specversion": true, "id": true, "source": true, "type": true,
	"subject": true, "time": true, "dataschema": true, "datacontenttype": true,
}

func isStructured(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == contentTypeStructured
}

// decodeStructured reads an event in the structured JSON format: one JSON
// object with the context attributes, the extensions and the data ("data" or
// "data_base64"). Extension values are kept as strings, as in binary mode.
func decodeStructured(b []byte) (event.Event, error) {
	raw, err := structuredMembers(b)
	if err != nil {
		return event.Event{}, err
	}
	if _, ok := raw["specversion"]; !ok {
		return event.Event{}, fail(ReasonNotCloudEvent, "structured event has no specversion")
	}
	if _, ok := raw["data"]; ok {
		if _, ok := raw["data_base64"]; ok {
			return event.Event{}, fail(ReasonMalformed, "both data and data_base64 are present")
		}
	}
	e := event.New(event.CloudEventsVersionV1)
	e.SetDataContentType(ContentType)
	var data []byte
	for name, v := range raw {
		switch {
		case name == "data":
			if !isNull(v) {
				data = bytes.Clone(v)
			}
		case name == "data_base64":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return event.Event{}, fail(ReasonMalformed, "member data_base64 is not a string")
			}
			if data, err = base64.StdEncoding.DecodeString(s); err != nil {
				return event.Event{}, fail(ReasonMalformed, "member data_base64 is not base64")
			}
		case contextAttributes[name]:
			if isNull(v) && name != "specversion" {
				continue // null is absent
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				return event.Event{}, fail(ReasonMalformed, "attribute %s is not a string", name)
			}
			if name == "specversion" && s != event.CloudEventsVersionV1 {
				return event.Event{}, fail(ReasonMalformed, "specversion is not 1.0")
			}
			if err := setAttribute(&e, name, s); err != nil {
				return event.Event{}, err
			}
		default:
			if err := checkExtensionName(name); err != nil {
				return event.Event{}, err
			}
			s, ok := extensionValue(v)
			if !ok {
				return event.Event{}, fail(ReasonMalformed, "extension %s is not a string, number or boolean", name)
			}
			if s != "" {
				e.SetExtension(name, s)
			}
		}
	}
	e.DataEncoded = data
	if err := Validate(e); err != nil {
		return event.Event{}, err
	}
	return e, nil
}

// structuredMembers parses the top-level object of a structured event. Its
// errors give an offset, never the offending bytes.
func structuredMembers(b []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(b) {
		return nil, fail(ReasonMalformed, "structured event is not valid UTF-8")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fail(ReasonMalformed, "structured event is not valid JSON (syntax error at byte %d)", syn.Offset)
		}
		return nil, fail(ReasonMalformed, "structured event is not a JSON object")
	}
	if raw == nil {
		return nil, fail(ReasonMalformed, "structured event is not a JSON object")
	}
	return raw, nil
}

// extensionValue returns an extension member as a string: strings as they
// are, numbers and booleans in their JSON form (CloudEvents integer and
// boolean values; binary mode carries them as strings too), null as "".
func extensionValue(v json.RawMessage) (string, bool) {
	var x any
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	if d.Decode(&x) != nil {
		return "", false
	}
	switch x := x.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case bool, json.Number:
		return string(bytes.TrimSpace(v)), true
	}
	return "", false
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// structuredAttributes returns the id, type and source of a structured-mode
// message as binary-mode attributes, for Reject. ok is false when m is not a
// structured-mode message whose members can be read.
func structuredAttributes(m Message) (attrs map[string]string, ok bool) {
	ct := m.Attributes["content-type"]
	if ct == "" {
		ct = m.Attributes["Content-Type"]
	}
	if !isStructured(ct) || len(m.Data) > MaxDataSize {
		return nil, false
	}
	raw, err := structuredMembers(m.Data)
	if err != nil {
		return nil, false
	}
	attrs = map[string]string{}
	for _, name := range []string{"id", "type", "source"} {
		var s string
		if v, ok := raw[name]; ok && json.Unmarshal(v, &s) == nil {
			attrs[attrPrefix+name] = s
		}
	}
	return attrs, true
}
