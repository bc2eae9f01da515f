package dataprocserver

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// page cuts one page out of items. Page tokens are offsets: good enough for a
// local server whose lists are only appended to.
func page[T any](items []T, size int32, token string) ([]T, string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", invalid("Invalid page token %q.", token)
		}
		start = n
	}
	n := int(size)
	if n <= 0 {
		n = defaultPageSize
	}
	n = min(n, maxPageSize)
	end := min(start+n, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("dataprocserver: crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
