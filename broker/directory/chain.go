package directory

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
)

// EnterpriseSchema is the SCIM enterprise user extension (RFC 7643 4.3),
// whose manager names, for a workload, the principal that owns it.
const EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// WorkloadUserType is the SCIM userType of a directory user that is a
// workload (a bot, a pipeline's account) rather than a person.
const WorkloadUserType = "workload"

// maxChain bounds how far a chain of owners is followed.
const maxChain = 8

// Chain returns the user and the principals it acts for, as directory
// user ids: a workload's owner (its SCIM manager), and the owner's owner
// while the owner is itself a workload (userType "workload"). A person's
// chain is the person alone: a manager of a person approves their
// requests, an owner of a bot must not. workload says whether the user is
// a workload when its directory entry does not (the verified token's
// principal type). A deleted owner still counts, by its id.
func Chain(ctx context.Context, tx store.Tx, u store.User, workload bool) ([]string, error) {
	chain := []string{u.ID}
	cur := u
	workload = workload || IsWorkload(u)
	for workload && len(chain) < maxChain {
		owner := Manager(cur)
		if owner == "" || slices.Contains(chain, owner) {
			break
		}
		chain = append(chain, owner)
		o, err := tx.GetUser(ctx, owner)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		cur, workload = o, IsWorkload(o)
	}
	return chain, nil
}

// IsWorkload reports whether the directory says the user is a workload.
func IsWorkload(u store.User) bool {
	var m struct {
		UserType string `json:"userType"`
	}
	_ = json.Unmarshal(u.Attributes, &m) // no attributes: not a workload
	return strings.EqualFold(m.UserType, WorkloadUserType)
}

// Manager returns the user id the SCIM enterprise manager attribute names,
// or "".
func Manager(u store.User) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(u.Attributes, &m) != nil {
		return ""
	}
	var ext struct {
		Manager struct {
			Value string `json:"value"`
		} `json:"manager"`
	}
	if json.Unmarshal(m[EnterpriseSchema], &ext) != nil {
		return ""
	}
	return strings.TrimSpace(ext.Manager.Value)
}
