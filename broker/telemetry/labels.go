package telemetry

import (
	"regexp"
	"sync"
)

// Other is the label value of anything outside a label's bounded set.
const Other = "other"

// labelSet bounds the values of one label: a value must have the label's
// form, and once max distinct values were seen any new one is Other. Reason
// codes, states and regions are bounded by the code and the policy; the
// cap is the guard against a bug or an attacker making one of them vary.
type labelSet struct {
	form *regexp.Regexp
	max  int
	mu   sync.RWMutex
	seen map[string]bool
}

func newLabelSet(form string, max int) *labelSet {
	return &labelSet{form: regexp.MustCompile(form), max: max, seen: map[string]bool{}}
}

func (s *labelSet) value(v string) string {
	s.mu.RLock()
	ok := s.seen[v]
	s.mu.RUnlock()
	if ok {
		return v
	}
	if !s.form.MatchString(v) {
		return Other
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[v] {
		return v
	}
	if len(s.seen) >= s.max {
		return Other
	}
	s.seen[v] = true
	return v
}

// The bounded sets. A code is lower snake case (reason codes, outcomes,
// stages, triggers, results); a state is Dataproc's upper case; a region
// is a Google Cloud region name; a method is an RPC or HTTP method name.
var (
	codeSet   = newLabelSet(`^[a-z][a-z0-9_]{0,63}$`, 256)
	stateSet  = newLabelSet(`^[A-Z][A-Z_]{0,31}$`, 32)
	regionSet = newLabelSet(`^[a-z]+-[a-z]+[0-9]{1,2}$`, 64)
	methodSet = newLabelSet(`^[A-Za-z][A-Za-z.]{0,63}$`, 64)
	issuerSet = newLabelSet(`^https?://[^\s]{1,200}$`, 32)
	statusSet = newLabelSet(`^[1-5][0-9][0-9]$`, 64)
)
