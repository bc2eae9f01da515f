package events

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// Limits of the contract. Pub/Sub refuses attribute keys over 256 bytes and
// values over 1024 bytes, and at most 100 attributes per message.
const (
	MaxDataSize       = 256 << 10 // bytes of data (or of a whole structured-mode event)
	MaxAttributeKey   = 256       // bytes of a Pub/Sub attribute key
	MaxAttributeValue = 1024      // bytes of a Pub/Sub attribute value
	MaxAttributes     = 100       // attributes per Pub/Sub message
	MaxIDLength       = 256       // bytes of an event id, causationid or requestid
)

// attrPrefix is the Pub/Sub binding's prefix of CloudEvents attributes.
const attrPrefix = "ce-"

var traceparentRE = regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[^\x00-\x1f\x7f]*)?$`)

// reservedNames may not be used as extension names: the context attributes,
// and the members of the structured format that hold the data.
var reservedNames = []string{
	"id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time",
	"data", "data_base64", "datacontentencoding",
}

// Validate checks an event against the contract: the envelope (specversion
// 1.0, required attributes, a catalog type, a JSON content type, the type's
// dataschema if set, extension names and values, Pub/Sub attribute limits)
// and the data against the type's JSON Schema. Errors are permanent
// *fault.Error values with a Reason* reason.
func Validate(e event.Event) error {
	if err := validateEnvelope(e); err != nil {
		return err
	}
	return validateData(e.Type(), e.Data())
}

func validateEnvelope(e event.Event) error {
	if e.Context == nil {
		return fail(ReasonMalformed, "event has no context")
	}
	if e.SpecVersion() != event.CloudEventsVersionV1 {
		return fail(ReasonMalformed, "specversion is not 1.0")
	}
	if len(e.FieldErrors) > 0 {
		names := make([]string, 0, len(e.FieldErrors))
		for k := range e.FieldErrors {
			names = append(names, k)
		}
		slices.Sort(names)
		return fail(ReasonMalformed, "invalid attributes: %s", strings.Join(names, ", "))
	}
	for _, a := range []struct{ name, value string }{{"id", e.ID()}, {"source", e.Source()}, {"type", e.Type()}} {
		if strings.TrimSpace(a.value) == "" {
			return fail(ReasonMalformed, "attribute %s is missing", a.name)
		}
	}
	s, ok := byType[e.Type()]
	if !ok {
		return fail(ReasonUnknownType, "type is not in the catalog")
	}
	if err := checkText("id", e.ID(), MaxIDLength); err != nil {
		return err
	}
	if err := checkText("source", e.Source(), MaxAttributeValue); err != nil {
		return err
	}
	if err := checkSource(e.Source()); err != nil {
		return err
	}
	if sub := e.Subject(); sub != "" {
		if err := checkText("subject", sub, MaxAttributeValue); err != nil {
			return err
		}
	}
	if ct := e.DataContentType(); ct != "" && !isJSON(ct) {
		return fail(ReasonMalformed, "attribute datacontenttype is not application/json")
	}
	if ds := e.DataSchema(); ds != "" && ds != s.Schema {
		return fail(ReasonMalformed, "attribute dataschema is not the schema of the type")
	}
	exts := e.Extensions()
	if n := len(exts) + 9; n > MaxAttributes { // 8 context attributes + Content-Type
		return fail(ReasonMalformed, "%d attributes, limit %d", n, MaxAttributes)
	}
	for name, v := range exts {
		if err := checkExtension(name, v); err != nil {
			return err
		}
	}
	return nil
}

// checkText checks an attribute value: present, valid UTF-8, no control
// characters, at most max bytes.
func checkText(name, v string, max int) error {
	switch {
	case v == "":
		return fail(ReasonMalformed, "attribute %s is empty", name)
	case len(v) > max:
		return fail(ReasonMalformed, "attribute %s is %d bytes, limit %d", name, len(v), max)
	case !utf8.ValidString(v):
		return fail(ReasonMalformed, "attribute %s is not valid UTF-8", name)
	case strings.ContainsFunc(v, isControl):
		return fail(ReasonMalformed, "attribute %s contains control characters", name)
	}
	return nil
}

// checkSource checks that a source is a URI-reference that reads the same
// after parsing, so that the (source, id) pair used to drop duplicates is
// exactly what the producer sent.
func checkSource(v string) error {
	if u, err := url.Parse(v); err != nil || u.String() != v {
		return fail(ReasonMalformed, "attribute source is not a URI-reference in canonical form")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func checkExtension(name string, v any) error {
	if err := checkExtensionName(name); err != nil {
		return err
	}
	s, err := types.Format(v)
	if err != nil {
		return fail(ReasonMalformed, "extension %s has an unsupported value type", name)
	}
	switch name {
	case ExtCausationID, ExtRequestID:
		return checkText(name, s, MaxIDLength)
	case ExtTraceparent:
		if len(s) > MaxAttributeValue || !traceparentRE.MatchString(s) {
			return fail(ReasonMalformed, "extension traceparent is not a W3C traceparent")
		}
		return nil
	}
	if len(s) > MaxAttributeValue {
		return fail(ReasonMalformed, "extension %s is %d bytes, limit %d", name, len(s), MaxAttributeValue)
	}
	if !utf8.ValidString(s) {
		return fail(ReasonMalformed, "extension %s is not valid UTF-8", name)
	}
	return nil
}

// checkExtensionName checks a CloudEvents extension name: lower-case ASCII
// letters and digits, not reserved, and short enough for a Pub/Sub key.
// The name itself may come from a message: it is only echoed when valid.
func checkExtensionName(name string) error {
	if name == "" {
		return fail(ReasonMalformed, "empty extension name")
	}
	if len(attrPrefix)+len(name) > MaxAttributeKey {
		return fail(ReasonMalformed, "extension name is %d bytes, limit %d", len(name), MaxAttributeKey-len(attrPrefix))
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return fail(ReasonMalformed, "extension name is not lower-case letters and digits")
		}
	}
	if slices.Contains(reservedNames, name) {
		return fail(ReasonMalformed, "extension name %s is reserved", name)
	}
	return nil
}
