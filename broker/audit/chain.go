package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"

	"github.com/dataproc-iis/iis/events"
)

// Genesis is the predecessor hash of the first record of a chain.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Hash returns the chain hash of m, which must already carry its auditseq
// and auditprev attributes. It covers every attribute (sorted by key) and
// the data, so a change to any of them changes the hash.
func Hash(m events.Message) string {
	keys := make([]string, 0, len(m.Attributes))
	size := len(m.Data) + 24
	for k, v := range m.Attributes {
		keys = append(keys, k)
		size += len(k) + len(v) + 48
	}
	sort.Strings(keys)
	// One buffer, hashed once: each field is length-prefixed ("<len>:")
	// so that no two attribute sets encode alike.
	buf := make([]byte, 0, size)
	for _, k := range keys {
		buf = appendField(buf, k)
		buf = appendField(buf, m.Attributes[k])
	}
	buf = appendField(buf, string(m.Data))
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

func appendField(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}
