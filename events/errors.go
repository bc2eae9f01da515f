package events

import (
	"fmt"

	"github.com/dataproc-iis/iis/broker/fault"
)

// Reasons of the permanent errors returned by Decode, Validate, New and
// Encode (see fault.ReasonOf).
const (
	// ReasonNotCloudEvent: the message has no ce-specversion attribute and is
	// not in structured mode, or a structured event has no specversion.
	ReasonNotCloudEvent = "not_cloudevent"
	// ReasonMalformed: bad JSON, a bad attribute value, or an invalid envelope.
	ReasonMalformed = "malformed"
	// ReasonOversized: the data exceeds MaxDataSize.
	ReasonOversized = "oversized"
	// ReasonUnknownType: the type is not in the catalog.
	ReasonUnknownType = "unknown_type"
	// ReasonSchemaViolation: the data does not satisfy the type's JSON Schema.
	ReasonSchemaViolation = "schema_violation"
	// ReasonTypeMismatch: a typed constructor or decoder was given a value or
	// an event of another type (a programming error, not a bad message).
	ReasonTypeMismatch = "type_mismatch"
)

// fail returns a permanent *fault.Error. Callers pass attribute names, JSON
// paths, keywords and sizes only, never a value taken from a payload.
func fail(reason, format string, args ...any) error {
	return &fault.Error{Kind: fault.Permanent, Reason: reason, Err: fmt.Errorf(format, args...)}
}
