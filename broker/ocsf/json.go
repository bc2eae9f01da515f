package ocsf

import "encoding/json"

// jsonRaw keeps valid JSON as is, and anything else as a string.
func jsonRaw(b []byte) any {
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	return string(b)
}
