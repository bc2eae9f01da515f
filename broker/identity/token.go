package identity

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
)

// b64 decodes JWS segments: base64url without padding, canonical only.
var b64 = base64.RawURLEncoding.Strict()

// token is a parsed, not yet verified, compact JWS. Nothing in it may be
// trusted before its signature checks out.
type token struct {
	signingInput string // header.payload, as signed
	signature    []byte
	alg, kid     string
	claims       object // exact claim names, no duplicates
	iss          string
}

func malformed(format string, args ...any) error {
	return fault.Permanentf(ReasonMalformed, format, args...)
}

// parseToken splits and decodes a compact JWS. It refuses anything but a
// three-part compact serialisation with a JSON object header and payload,
// alg none and HS* (whatever the issuer), and critical header extensions.
func parseToken(raw string) (*token, error) {
	h, rest, ok1 := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, malformed("not a compact JWS (want three dot-separated parts)")
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return nil, malformed("header: bad base64url")
	}
	hdr, err := parseObject(hb, 4)
	if err != nil {
		return nil, malformed("header: %v", err)
	}
	t := &token{}
	ht := &token{claims: hdr}
	if ht.str("alg", &t.alg) != nil || ht.str("kid", &t.kid) != nil {
		return nil, malformed("header: alg and kid must be strings")
	}
	_, crit := hdr.get("crit")
	_, unencoded := hdr.get("b64")
	switch {
	case t.alg == "":
		return nil, malformed("header: no alg")
	case strings.EqualFold(t.alg, "none"), strings.HasPrefix(strings.ToUpper(t.alg), "HS"):
		return nil, fault.Permanentf(ReasonAlgNotAllowed, "alg %q is never allowed", t.alg)
	case crit || unencoded:
		return nil, malformed("header: critical extensions are not supported")
	}
	sig, err := b64.DecodeString(s)
	if err != nil || len(sig) == 0 {
		return nil, malformed("signature: missing or bad base64url")
	}
	pb, err := b64.DecodeString(p)
	if err != nil {
		return nil, malformed("payload: bad base64url")
	}
	t.signingInput, t.signature = raw[:len(h)+1+len(p)], sig
	if t.claims, err = parseObject(pb, 16); err != nil {
		return nil, malformed("payload: %v", err)
	}
	if err := t.str("iss", &t.iss); err != nil || t.iss == "" {
		return nil, fault.Permanentf(ReasonMissingClaim, "no iss claim")
	}
	return t, nil
}

// has reports whether the claim is present and not null.
func (t *token) has(name string) bool {
	v, ok := t.claims.get(name)
	return ok && string(v) != "null"
}

// raw returns the raw value of a claim.
func (t *token) raw(name string) json.RawMessage {
	v, _ := t.claims.get(name)
	return v
}

// str reads a string claim; an absent or null claim leaves *dst empty.
func (t *token) str(name string, dst *string) error {
	if !t.has(name) {
		return nil
	}
	if s, ok := plainString(t.raw(name)); ok {
		*dst = s
		return nil
	}
	if err := json.Unmarshal(t.raw(name), dst); err != nil {
		return fault.Permanentf(ReasonInvalidClaim, "claim %s: want a string", name)
	}
	return nil
}

// plainString decodes a JSON string without escapes, the common case, without
// the cost of json.Unmarshal.
func plainString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return "", false // escapes, control or non-ASCII bytes: let encoding/json decide
		}
	}
	return string(body), true
}

// strings reads a claim that is a list of strings or one string.
func (t *token) strings(name string) ([]string, error) {
	if !t.has(name) {
		return nil, nil
	}
	raw := t.raw(name)
	if s, ok := plainString(raw); ok {
		return []string{s}, nil
	}
	if list, ok := plainStrings(raw); ok {
		return list, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fault.Permanentf(ReasonInvalidClaim, "claim %s: want a string or a list of strings", name)
	}
	return list, nil
}

// time reads a NumericDate claim (seconds since the epoch, possibly
// fractional). ok is false when the claim is absent.
func (t *token) time(name string) (ts time.Time, ok bool, err error) {
	if !t.has(name) {
		return time.Time{}, false, nil
	}
	raw := t.raw(name)
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || !json.Valid(raw) || math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, false, fault.Permanentf(ReasonInvalidClaim, "claim %s: want a NumericDate", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// boolean reads a boolean claim, also accepting the strings "true" and
// "false" (some issuers send email_verified as a string).
func (t *token) boolean(name string) (b, ok bool, err error) {
	if !t.has(name) {
		return false, false, nil
	}
	switch string(t.raw(name)) {
	case "true", `"true"`:
		return true, true, nil
	case "false", `"false"`:
		return false, true, nil
	}
	return false, false, fault.Permanentf(ReasonInvalidClaim, "claim %s: want a boolean", name)
}

// plainStrings decodes a JSON array of plain strings (see plainString)
// without json.Unmarshal; ok is false for anything else.
func plainStrings(raw json.RawMessage) ([]string, bool) {
	if len(raw) < 2 || raw[0] != '[' || raw[len(raw)-1] != ']' {
		return nil, false
	}
	body := raw[1 : len(raw)-1]
	out := make([]string, 0, bytes.Count(body, []byte{','})+1)
	for i := skipSpace(body, 0); i < len(body); {
		end, err := stringEnd(body, i)
		if err != nil {
			return nil, false
		}
		s, ok := plainString(body[i:end])
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if i = skipSpace(body, end); i < len(body) {
			if body[i] != ',' {
				return nil, false
			}
			i = skipSpace(body, i+1)
		}
	}
	return out, true
}

func (t *token) String() string {
	return fmt.Sprintf("token(iss=%q alg=%s kid=%q)", t.iss, t.alg, t.kid)
}
