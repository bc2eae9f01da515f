package events

import (
	"bytes"
	"mime"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// Message is a Pub/Sub message as the CloudEvents Pub/Sub binding sees it,
// independent of any Pub/Sub client.
type Message struct {
	Data       []byte
	Attributes map[string]string
}

// Content types of the Pub/Sub binding.
const (
	contentTypeStructured = "application/cloudevents+json"
	contentTypeBatch      = "application/cloudevents-batch+json"
)

// contentTypeKeys are the attributes that may carry the content type, in the
// order they are read.
var contentTypeKeys = [...]string{"content-type", "Content-Type", attrPrefix + "datacontenttype"}

// Encode renders e in the Pub/Sub binding's binary mode: the context
// attributes and extensions as "ce-<name>" attributes (time in RFC 3339 with
// nanoseconds), the content type in both ce-datacontenttype and Content-Type,
// and the data, untouched, as the message data. It validates e first (see
// Validate), so an invalid event, an attribute value over 1024 bytes or a key
// over 256 bytes is refused. Data never goes into an attribute.
func Encode(e event.Event) (Message, error) {
	if err := Validate(e); err != nil {
		return Message{}, err
	}
	ct := e.DataContentType()
	if ct == "" {
		ct = ContentType
	}
	a := make(map[string]string, 9+len(e.Extensions()))
	a[attrPrefix+"specversion"] = e.SpecVersion()
	a[attrPrefix+"id"] = e.ID()
	a[attrPrefix+"source"] = e.Source()
	a[attrPrefix+"type"] = e.Type()
	a[attrPrefix+"datacontenttype"] = ct
	a["Content-Type"] = ct
	if s := e.Subject(); s != "" {
		a[attrPrefix+"subject"] = s
	}
	if t := e.Time(); !t.IsZero() {
		a[attrPrefix+"time"] = t.UTC().Format(time.RFC3339Nano)
	}
	if s := e.DataSchema(); s != "" {
		a[attrPrefix+"dataschema"] = s
	}
	for name, v := range e.Extensions() {
		s, err := types.Format(v)
		if err != nil {
			return Message{}, fail(ReasonMalformed, "extension %s has an unsupported value type", name)
		}
		a[attrPrefix+name] = s
	}
	for k, v := range a {
		if len(k) > MaxAttributeKey {
			return Message{}, fail(ReasonMalformed, "attribute key is %d bytes, limit %d", len(k), MaxAttributeKey)
		}
		if len(v) > MaxAttributeValue {
			return Message{}, fail(ReasonMalformed, "attribute %s is %d bytes, limit %d", k, len(v), MaxAttributeValue)
		}
	}
	return Message{Data: bytes.Clone(e.Data()), Attributes: a}, nil
}

// Decode reads a CloudEvent from a Pub/Sub message, in binary mode
// (ce-* attributes; content type from content-type, Content-Type or
// ce-datacontenttype, every one present must be application/json) or in
// structured mode (Content-Type application/cloudevents+json, the whole event
// as JSON in the data). It refuses data over MaxDataSize before parsing it,
// then checks the envelope and the data against the type's schema (see
// Validate).
//
// Every error is a permanent *fault.Error with reason ReasonNotCloudEvent,
// ReasonMalformed, ReasonOversized, ReasonUnknownType or
// ReasonSchemaViolation, and its text holds no payload value.
func Decode(m Message) (event.Event, error) {
	if len(m.Data) > MaxDataSize {
		return event.Event{}, fail(ReasonOversized, "data is %d bytes, limit %d", len(m.Data), MaxDataSize)
	}
	ct := ""
	for _, k := range contentTypeKeys[:2] {
		if v := m.Attributes[k]; v != "" {
			ct = v
			break
		}
	}
	if ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		switch mt {
		case contentTypeStructured:
			return decodeStructured(m.Data)
		case contentTypeBatch:
			return event.Event{}, fail(ReasonMalformed, "batched mode is not supported")
		}
	}
	return decodeBinary(m)
}

func decodeBinary(m Message) (event.Event, error) {
	a := m.Attributes
	sv, ok := a[attrPrefix+"specversion"]
	if !ok {
		return event.Event{}, fail(ReasonNotCloudEvent, "no ce-specversion attribute and not in structured mode")
	}
	if sv != event.CloudEventsVersionV1 {
		return event.Event{}, fail(ReasonMalformed, "attribute ce-specversion is not 1.0")
	}
	for _, k := range contentTypeKeys {
		if v, ok := a[k]; ok && !isJSON(v) {
			return event.Event{}, fail(ReasonMalformed, "attribute %s is not application/json", k)
		}
	}
	e := event.New(event.CloudEventsVersionV1)
	e.SetDataContentType(ContentType)
	for k, v := range a {
		if len(k) > MaxAttributeKey || len(v) > MaxAttributeValue {
			return event.Event{}, fail(ReasonMalformed, "an attribute exceeds the Pub/Sub limits")
		}
		name, ok := strings.CutPrefix(k, attrPrefix)
		if !ok {
			continue
		}
		if err := setAttribute(&e, name, v); err != nil {
			return event.Event{}, err
		}
	}
	e.DataEncoded = bytes.Clone(m.Data)
	if err := Validate(e); err != nil {
		return event.Event{}, err
	}
	return e, nil
}

// setAttribute sets a context attribute or extension read from a message.
func setAttribute(e *event.Event, name, v string) error {
	switch name {
	case "specversion":
	case "id":
		e.SetID(v)
	case "source":
		if err := checkSource(v); err != nil {
			return err
		}
		e.SetSource(v)
	case "type":
		e.SetType(v)
	case "subject":
		if v == "" {
			return fail(ReasonMalformed, "attribute subject is empty")
		}
		e.SetSubject(v)
	case "datacontenttype":
		e.SetDataContentType(v)
	case "dataschema":
		e.SetDataSchema(v)
	case "time":
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fail(ReasonMalformed, "attribute time is not an RFC 3339 timestamp")
		}
		e.SetTime(t)
	default:
		if err := checkExtensionName(name); err != nil {
			return err
		}
		e.SetExtension(name, v)
	}
	return nil
}

// isJSON reports whether a content type is application/json, with at most a
// UTF-8 charset parameter.
func isJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != ContentType {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}
