package identity

import (
	"bytes"
	"encoding/json"
	"errors"
)

// maxMembers bounds the members of a token header or claim set.
const maxMembers = 200

// member is one name/value pair of a JSON object, as raw bytes.
type member struct {
	name  []byte // unescaped
	value json.RawMessage
}

// object is a JSON object's members in order. Names are compared exactly
// (encoding/json would match struct fields case-insensitively, so that a
// claim "EMAIL" could stand in for "email"), and an object with a duplicate
// name is refused (parsers disagree on which duplicate wins).
type object []member

// get returns the raw value of the member called name.
func (o object) get(name string) (json.RawMessage, bool) {
	for i := range o {
		if string(o[i].name) == name {
			return o[i].value, true
		}
	}
	return nil, false
}

var (
	errNotObject = errors.New("not a JSON object")
	errDuplicate = errors.New("duplicate member name")
	errTooMany   = errors.New("too many members")
)

// parseObject splits a JSON object into its members without decoding the
// values. It validates the whole document first, so the scan below only
// walks well-formed JSON; every index is still bounds-checked. size is the
// expected number of members.
func parseObject(b []byte, size int) (object, error) {
	if !json.Valid(b) {
		return nil, errors.New("invalid JSON")
	}
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errNotObject
	}
	o := make(object, 0, size)
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return nil, errNotObject
		}
		switch b[i] {
		case '}':
			return o, nil
		case ',':
			i++
			continue
		}
		end, err := stringEnd(b, i)
		if err != nil {
			return nil, err
		}
		name := b[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(b[i:end], &s); err != nil {
				return nil, err
			}
			name = []byte(s)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, errNotObject
		}
		i = skipSpace(b, i+1)
		vend, err := valueEnd(b, i)
		if err != nil {
			return nil, err
		}
		for _, m := range o {
			if bytes.Equal(m.name, name) {
				return nil, errDuplicate
			}
		}
		if len(o) == maxMembers {
			return nil, errTooMany
		}
		o = append(o, member{name: name, value: b[i:vend]})
		i = vend
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return 0, errNotObject
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errNotObject
}

// valueEnd returns the index after the JSON value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errNotObject
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errNotObject
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j, nil
}
