package sqlstore

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// timeCol scans a time column, stored as microseconds since the epoch
// (SQLite) or as a timestamp (PostgreSQL), into a UTC time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	case time.Time:
		*c.t = normTime(v)
	case nil:
		*c.t = time.Time{}
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", v)
	}
	return nil
}

// nullTimeCol scans a nullable time column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(v); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

var (
	_ sql.Scanner = timeCol{}
	_ sql.Scanner = nullTimeCol{}
)

// newID returns a random RFC 4122 version 4 UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// foldKey is the form in which case-insensitive names are compared.
func foldKey(s string) string { return strings.ToLower(s) }

// placeholders returns "?, ?, ..." for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// chunkSize bounds the parameters of one IN list, well under SQLite's and
// PostgreSQL's limits.
const chunkSize = 500

// chunks splits s into slices of at most chunkSize.
func chunks[T any](s []T) [][]T {
	var out [][]T
	for len(s) > chunkSize {
		out = append(out, s[:chunkSize])
		s = s[chunkSize:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// anys converts a slice to query arguments.
func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// keyEscaper makes a dedupe key storable as text: PostgreSQL's text cannot
// hold NUL, the separator of store.EventKey. Backslashes are escaped too so
// that the mapping is one-to-one.
var (
	keyEscaper   = strings.NewReplacer(`\`, `\\`, "\x00", `\0`)
	keyUnescaper = strings.NewReplacer(`\\`, `\`, `\0`, "\x00")
)

// encodeKey is the stored form of a dedupe or request key.
func encodeKey(k string) string { return keyEscaper.Replace(k) }

// decodeKey reverses encodeKey.
func decodeKey(k string) string { return keyUnescaper.Replace(k) }
