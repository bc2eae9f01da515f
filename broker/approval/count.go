package approval

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Checker counts the approvals of a request as they stand now. Approvals
// are re-checked at the moment of use: an approver who left, was locked,
// or lost every approving group no longer counts, whatever they were when
// they approved.
type Checker struct {
	// Directory says the store's directory is the authority: an approver
	// counts while an active, unlocked user in an approving group (the
	// directory's groups and the groups their token vouched for). Without
	// it the token's groups count, unless the directory knows the
	// approver as locked.
	Directory bool
}

// Count returns how far each requirement of r is, counting every answer
// that grants and is not withdrawn, by an approver who qualifies now, and
// whether every requirement is met. One approver counts once per
// requirement and may count for several.
func (c Checker) Count(ctx context.Context, tx store.Tx, r store.ApprovalRequest) ([]events.ApprovalCount, bool, error) {
	answers, err := tx.ListApprovals(ctx, r.RequestKey)
	if err != nil {
		return nil, false, err
	}
	counts := make([]events.ApprovalCount, len(r.Requirements))
	for i, req := range r.Requirements {
		counts[i] = events.ApprovalCount{Rule: req.Rule, Count: req.Count, Approvers: []string{}}
	}
	for _, a := range answers {
		if a.Verdict != store.VerdictGranted || a.WithdrawnAt != nil {
			continue
		}
		groups, ok, err := c.groupsNow(ctx, tx, a)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			continue
		}
		for i, req := range r.Requirements {
			if intersects(groups, req.Approvers) {
				counts[i].Approvers = append(counts[i].Approvers, a.Approver)
			}
		}
	}
	return counts, complete(counts), nil
}

func complete(counts []events.ApprovalCount) bool {
	for _, c := range counts {
		if len(c.Approvers) < c.Count {
			return false
		}
	}
	return len(counts) > 0
}

// Holds returns nil if the approvals of the request with requestKey still
// meet its rules, and a permanent ReasonWithdrawnInFlight fault if they no
// longer do. It is called in the transaction of each step that acts on an
// approved request (the claim on minting, the grant, the job's record).
func (c Checker) Holds(ctx context.Context, tx store.Tx, requestKey string) error {
	r, err := tx.GetApprovalRequest(ctx, requestKey)
	if err != nil {
		return err
	}
	counts, ok, err := c.Count(ctx, tx, r)
	if err != nil || ok {
		return err
	}
	return fault.Permanentf(ReasonWithdrawnInFlight, "request %s was approved, but its approvals no longer meet its rules (%s): nothing was run",
		r.RequestID, progress(counts))
}

// groupsNow returns the approver's groups as they qualify now, or false
// when the approver no longer counts at all.
func (c Checker) groupsNow(ctx context.Context, tx store.Tx, a store.Approval) ([]string, bool, error) {
	tokenGroups := lower(a.TokenGroups)
	if !c.Directory {
		u, err := directory.ByName(ctx, tx, a.Approver)
		switch {
		case err == nil && (u.Locked || !u.Active):
			return nil, false, nil
		case err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict):
			return nil, false, err
		}
		return tokenGroups, true, nil
	}
	u, err := tx.GetUser(ctx, a.ApproverID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, false, nil // deleted
	case err != nil:
		return nil, false, err
	case u.Locked || !u.Active:
		return nil, false, nil
	}
	groups, err := directory.GroupNames(ctx, tx, u.ID)
	if err != nil {
		return nil, false, err
	}
	return append(lower(groups), tokenGroups...), true, nil
}

func lower(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.ToLower(strings.TrimSpace(n)))
	}
	return out
}

// intersects reports whether a member of groups (lower case) is one of
// the approving groups (lower case, as the policy folds them).
func intersects(groups, approvers []string) bool {
	return slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(approvers, g) })
}

// progress describes counts in words: "role:x 1 of 2 (grace@example.com)".
func progress(counts []events.ApprovalCount) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = c.Rule + " " + strconv.Itoa(len(c.Approvers)) + " of " + strconv.Itoa(c.Count)
		if len(c.Approvers) > 0 {
			parts[i] += " (" + strings.Join(c.Approvers, ", ") + ")"
		}
	}
	return strings.Join(parts, "; ")
}
