package events

import (
	"unicode/utf8"

	"github.com/dataproc-iis/iis/broker/fault"
)

// Rejection is the data of event.rejected.v1: why a received message was not
// accepted, and how to find it. It never carries the message's data.
type Rejection struct {
	Reason         string `json:"reason"`                    // fault reason, e.g. "schema_violation"
	Detail         string `json:"detail,omitempty"`          // error text: attribute names, JSON paths, keywords
	ReceivedType   string `json:"received_type,omitempty"`   // the message's ce-type, if any
	ReceivedID     string `json:"received_id,omitempty"`     // the message's ce-id, if any
	ReceivedSource string `json:"received_source,omitempty"` // the message's ce-source, if any
	MessageID      string `json:"message_id,omitempty"`      // the Pub/Sub message id
}

// Reject describes a message that Decode refused, ready for NewEventRejected.
// It copies the identifying attributes of m (truncated to the schema's limits)
// and the error text of err, never m's data.
func Reject(m Message, messageID string, err error) Rejection {
	r := Rejection{
		Reason:    fault.ReasonOf(err),
		MessageID: truncate(messageID, 256),
	}
	if err != nil {
		r.Detail = truncate(err.Error(), 2048)
	}
	if attr, ok := structuredAttributes(m); ok {
		m.Attributes = attr
	}
	r.ReceivedType = truncate(m.Attributes[attrPrefix+"type"], 256)
	r.ReceivedID = truncate(m.Attributes[attrPrefix+"id"], 256)
	r.ReceivedSource = truncate(m.Attributes[attrPrefix+"source"], 1024)
	return r
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence and
// replaces invalid UTF-8, so that the result always encodes as JSON intact.
func truncate(s string, n int) string {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // invalid bytes become U+FFFD
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
