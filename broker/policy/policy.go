package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"
)

// Defaults and bounds of role limits.
const (
	DefaultMaxDuration           = time.Hour
	DefaultMaxCredentialLifetime = 15 * time.Minute
	MaxMaxDuration               = 14 * 24 * time.Hour // Dataproc's longest batch TTL
	MaxCredentialLifetime        = 12 * time.Hour      // IAM's longest access-token lifetime
	maxFileSize                  = 1 << 20
)

// Policy is a parsed, checked and compiled policy file. It is immutable and
// safe for concurrent use.
type Policy struct {
	name     string
	version  string
	roles    []*role // in file order
	roleIdx  map[string]int
	bindings []*binding // in file order
	byUser   map[string][]*binding
	byGroup  map[string][]*binding
	denies   []*denyRule
	// approval rules (approvals:): indexed by the roles they name, or
	// listed in approvalsAny when they name none.
	approvals       []*approvalRule
	approvalsByRole map[int][]int
	approvalsAny    []int
	// deny rules by selector: denyAny have no principal or group selector;
	// the others are listed under each principal or group they name.
	denyAny     []int
	denyByUser  map[string][]int
	denyByGroup map[string][]int
}

// role is a compiled role.
type role struct {
	name            string
	index           int
	line            int
	serviceAccount  string
	targets         []targetRule
	jobTypes        []string
	locations       []location
	maxDuration     time.Duration
	maxCredential   time.Duration
	justification   bool
	principalTypes  []string
	cond            *condition
	approval        *approvalRule // the role's own approval rule, or nil
	mayCancelOthers bool
	mayReadAudit    bool          // audit_read.go
	clusters        *clusterRules // nil: the role creates no clusters
}

// targetRule is one allowed target of a role.
type targetRule struct {
	project, region glob
	cluster         *glob // nil: no cluster allowed by this rule
	serverless      bool
}

// binding grants a role to a user or a group.
type binding struct {
	kind    string // "user" or "group"
	subject string // lower case
	name    string // kind:subject
	role    int
	line    int
}

func (b *binding) String() string { return b.name }

// denyRule is an explicit deny. It matches a request when every selector it
// sets matches (principals, groups, principal types, condition); roles limits
// which roles it denies (empty: all).
type denyRule struct {
	name           string
	line           int
	principals     map[string]bool
	groups         map[string]bool
	principalTypes []string
	roles          map[int]bool
	cond           *condition
	message        string
}

// Version is the policy's content hash, "sha256:<hex>".
func (p *Policy) Version() string { return p.version }

// Name is the file name the policy was parsed from.
func (p *Policy) Name() string { return p.name }

// Roles lists the role names in file order.
func (p *Policy) Roles() []string {
	out := make([]string, len(p.roles))
	for i, r := range p.roles {
		out[i] = r.name
	}
	return out
}

// Summary describes the policy in one line, for `iis policy check`.
func (p *Policy) Summary() string {
	return fmt.Sprintf("%s: %d roles, %d bindings, %d deny rules, %d approval rules, version %s",
		p.name, len(p.roles), len(p.bindings), len(p.denies), len(p.Approvals()), p.version)
}

// Version computes the version of policy content: "sha256:<hex>".
func Version(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Load reads and parses the policy file at path.
func Load(path string) (*Policy, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// readFile reads a policy file, refusing anything larger than 1 MiB.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("os.Open: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("policy file larger than %d bytes", maxFileSize)}
	}
	return data, nil
}
