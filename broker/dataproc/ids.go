package dataproc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Labels the broker sets on every job and batch.
const (
	LabelRequest   = "iis-request"
	LabelPrincipal = "iis-principal"
	LabelRole      = "iis-role"
)

var reservedLabels = []string{LabelRequest, LabelPrincipal, LabelRole}

// idDomain separates these ids from any other hash of the same key.
const idDomain = "dataproc-iis/dataproc-id/v1\x00"

// ID returns the Dataproc id derived from a request key: "iis-" and 32 hex
// digits (128 bits) of SHA-256. It is a valid batch_id (4-63 of [a-z0-9-],
// starting with a letter), job_id and request_id (at most 40 of
// [A-Za-z0-9_-]), and the same for every delivery of the request.
func ID(key string) string {
	sum := sha256.Sum256([]byte(idDomain + key))
	return "iis-" + hex.EncodeToString(sum[:16])
}

// RequestLabel returns the iis-request label value for a request id:
// lowercased, other characters than [a-z0-9-] replaced by '-', starting with
// a letter, at most 63 characters. Use it to filter List calls.
func RequestLabel(requestID string) string { return labelValue("r", requestID) }

// RoleLabel returns the iis-role label value for a role name.
func RoleLabel(role string) string { return labelValue("r", role) }

// PrincipalLabel returns the iis-principal label value: "p" and 32 hex
// digits of HMAC-SHA256(key, principal), or of plain SHA-256 when key is
// empty (development only: an unkeyed hash of an e-mail address can be
// reversed by guessing).
func PrincipalLabel(key []byte, principal string) string {
	var sum []byte
	if len(key) > 0 {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(principal))
		sum = mac.Sum(nil)
	} else {
		s := sha256.Sum256([]byte(principal))
		sum = s[:]
	}
	return "p" + hex.EncodeToString(sum[:16])
}

func labelValue(prefix, s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	v := b.String()
	if v == "" || v[0] < 'a' || v[0] > 'z' {
		v = prefix + "-" + v
	}
	if len(v) > 63 {
		v = v[:63]
	}
	return strings.TrimRight(v, "-")
}

// Expected is the Submission a Submit of the request with this key and
// target creates (or created): the ids are derived from the key, so the
// broker can find, poll or cancel a workload whose submit answer it never
// recorded (a worker killed between submit and record).
func Expected(key string, t Target) Submission {
	id := ID(key)
	if t.Cluster == "" {
		return Submission{Kind: KindBatch, Project: t.Project, Region: t.Region, DataprocID: id, DataprocRequestID: id,
			Resource: fmt.Sprintf("projects/%s/locations/%s/batches/%s", t.Project, t.Region, id)}
	}
	return Submission{Kind: KindJob, Project: t.Project, Region: t.Region, DataprocID: id, DataprocRequestID: id,
		Resource: fmt.Sprintf("projects/%s/regions/%s/jobs/%s", t.Project, t.Region, id)}
}
