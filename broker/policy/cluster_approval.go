package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// CodeClusterApproval: the role's approval rules apply to the request, but
// only job requests wait for approvers; cluster and access requests under
// such a role are refused (fail closed) rather than allowed unapproved.
const CodeClusterApproval = "cluster_approval_required"

// approvalRefusal is the reason a cluster or access request under role r is
// refused when an approval rule applies to it, or "" when none does.
func (e *evaluation) approvalRefusal(r *role, what string) string {
	need := e.approvalNeed(r)
	if need == nil {
		return ""
	}
	rules := make([]string, len(need.Requirements))
	for i, q := range need.Requirements {
		rules[i] = q.Rule
	}
	return fmt.Sprintf("role %s needs approval (%s), and the broker asks approvers for job requests only: %s requests under it are refused",
		strconv.Quote(r.name), strings.Join(rules, ", "), what)
}
