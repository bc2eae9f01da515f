package audit

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/dataproc-iis/iis/events"
)

// The attributes Verify reads: CloudEvents in Pub/Sub binary mode.
const (
	attrID          = "ce-id"
	attrSpecVersion = "ce-specversion"
	attrType        = "ce-type"
	attrSource      = "ce-source"
	attrSeq         = "ce-" + events.ExtAuditSeq
	attrPrev        = "ce-" + events.ExtAuditPrev
)

// maxSeq bounds auditseq, so that seq arithmetic never overflows; a chain
// appending a billion records a second would take 30 years to reach it.
const maxSeq = 1 << 60

// digest is a decoded chain hash.
type digest [32]byte

// genesis is Genesis decoded.
var genesis digest

// entry is what the Verifier keeps of a record: enough to check its links
// and to report it, not the message.
type entry struct {
	seq       int64
	prev      digest
	hash      digest
	id        string
	pos       int    // Record.Position
	arrival   int    // index in the input
	stored    string // Record.StoredHash
	storedBad bool   // stored is set and differs from hash
}

// parse checks the parts of r that the chain needs and computes its hash.
// It returns a malformed Problem if r cannot take part in the chain.
func parse(r Record, arrival int) (entry, *Problem) {
	a := r.Message.Attributes
	e := entry{id: a[attrID], pos: r.Position, arrival: arrival, stored: r.StoredHash}
	bad := func(format string, args ...any) (entry, *Problem) {
		return e, &Problem{Kind: Malformed, Seq: e.seq, EventID: e.id, Position: r.Position, Detail: fmt.Sprintf(format, args...)}
	}
	if r.Err != nil {
		return bad("could not be read: %v", r.Err)
	}
	if s, ok := a[attrSeq]; ok {
		n, err := parseSeq(s)
		if err != nil {
			return bad("attribute %s: %v", attrSeq, err)
		}
		e.seq = n
	} else {
		return bad("no %s attribute: not an audit record", attrSeq)
	}
	switch {
	case a[attrSpecVersion] != "1.0":
		return bad("not a CloudEvent in binary mode: %s is not 1.0", attrSpecVersion)
	case e.id == "":
		return bad("not a CloudEvent: no %s", attrID)
	case a[attrType] == "" || a[attrSource] == "":
		return bad("not a CloudEvent: no %s or %s", attrType, attrSource)
	}
	p, ok := a[attrPrev]
	if !ok {
		return bad("no %s attribute", attrPrev)
	}
	if err := decodeDigest(&e.prev, p); err != nil {
		return bad("attribute %s: %v", attrPrev, err)
	}
	h := Hash(r.Message)
	_ = decodeDigest(&e.hash, h)
	e.storedBad = r.StoredHash != "" && r.StoredHash != h
	return e, nil
}

// parseSeq reads a seq in the form Append writes it: a positive decimal
// without sign or leading zeros, so that one seq has one spelling.
func parseSeq(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil || s != strconv.FormatInt(n, 10):
		return 0, fmt.Errorf("%q is not a decimal seq", clip(s))
	case n < 1 || n > maxSeq:
		return 0, fmt.Errorf("seq %d is out of range 1..2^60", n)
	}
	return n, nil
}

// decodeDigest reads a hash in the form Hash writes it: 64 lower-case hex
// digits.
func decodeDigest(d *digest, s string) error {
	if len(s) != 2*len(d) {
		return fmt.Errorf("%q is not a SHA-256 hash in hex", clip(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%q is not a SHA-256 hash in lower-case hex", clip(s))
		}
	}
	_, err := hex.Decode(d[:], []byte(s))
	return err
}

// short renders a digest for a report.
func (d digest) short() string { return hex.EncodeToString(d[:6]) + "…" }

// shortHex renders a hash as given for a report.
func shortHex(s string) string {
	if len(s) > 12 {
		return clip(s[:12]) + "…"
	}
	return clip(s)
}

// clip keeps a malformed value short in a report.
func clip(s string) string {
	if len(s) > 70 {
		return s[:70] + "…"
	}
	return s
}
