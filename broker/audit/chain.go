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
	h := sha256.New()
	keys := make([]string, 0, len(m.Attributes))
	for k := range m.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		// Length-prefix each field so that no two attribute sets collide.
		writeField(h, k)
		writeField(h, m.Attributes[k])
	}
	writeField(h, string(m.Data))
	return hex.EncodeToString(h.Sum(nil))
}

type writer interface{ Write([]byte) (int, error) }

func writeField(w writer, s string) {
	w.Write([]byte(strconv.Itoa(len(s))))
	w.Write([]byte{':'})
	w.Write([]byte(s))
}
