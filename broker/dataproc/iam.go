package dataproc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dataproc-iis/iis/broker/fault"
)

// TitlePrefix starts the condition title of every binding the broker adds:
// how the drift reconciler tells the broker's bindings from others.
const TitlePrefix = "iis-"

// ReasonPolicyConflict (transient): the policy kept changing under every
// read-modify-write attempt.
const ReasonPolicyConflict = "iam_policy_conflict"

// policyAttempts bounds the read-modify-write rounds of one change.
const policyAttempts = 12

// Binding is a time-bound IAM binding on one cluster: Member holds Role
// while request.time < Expires.
type Binding struct {
	Role, Member string
	Title        string // the condition's title: TitlePrefix and an id
	Description  string
	Expires      time.Time
}

// Expression is the binding's IAM Condition.
func (b Binding) Expression() string {
	return `request.time < timestamp("` + b.Expires.UTC().Format(time.RFC3339) + `")`
}

// AddBinding adds b to the cluster's IAM policy with an etag
// read-modify-write, retried when a concurrent writer changed the policy
// (Aborted), so that no writer's binding is lost. A binding with b's title
// already there is left as it is. It returns how many rounds it took.
func (s *Submitter) AddBinding(ctx context.Context, c Caller, cl Cluster, b Binding) (int, error) {
	return s.modifyPolicy(ctx, c, cl, func(p *iampb.Policy) bool {
		if slices.ContainsFunc(p.Bindings, func(x *iampb.Binding) bool { return x.GetCondition().GetTitle() == b.Title }) {
			return false
		}
		p.Bindings = append(p.Bindings, &iampb.Binding{Role: b.Role, Members: []string{b.Member},
			Condition: &expr.Expr{Title: b.Title, Description: b.Description, Expression: b.Expression()}})
		return true
	})
}

// RemoveBindings removes the bindings whose condition titles are given and
// returns those that were there (the others were already gone).
func (s *Submitter) RemoveBindings(ctx context.Context, c Caller, cl Cluster, titles ...string) (removed []string, err error) {
	_, err = s.modifyPolicy(ctx, c, cl, func(p *iampb.Policy) bool {
		removed = removed[:0]
		p.Bindings = slices.DeleteFunc(p.Bindings, func(x *iampb.Binding) bool {
			t := x.GetCondition().GetTitle()
			if t != "" && slices.Contains(titles, t) {
				removed = append(removed, t)
				return true
			}
			return false
		})
		return len(removed) > 0
	})
	return removed, err
}

// Bindings returns the bindings of the cluster's policy the broker made
// (their condition's title starts with TitlePrefix).
func (s *Submitter) Bindings(ctx context.Context, c Caller, cl Cluster) ([]Binding, error) {
	client, err := s.clients.Clusters(ctx, cl.Region)
	if err != nil {
		return nil, clientFault(err)
	}
	p, err := s.getPolicy(ctx, client, c, cl)
	if err != nil {
		return nil, policyFault(cl, err)
	}
	var out []Binding
	for _, b := range p.GetBindings() {
		cond := b.GetCondition()
		if !strings.HasPrefix(cond.GetTitle(), TitlePrefix) {
			continue
		}
		for _, m := range b.GetMembers() {
			out = append(out, Binding{Role: b.GetRole(), Member: m, Title: cond.GetTitle(), Description: cond.GetDescription()})
		}
	}
	return out, nil
}

func (s *Submitter) getPolicy(ctx context.Context, client ClusterController, c Caller, cl Cluster) (*iampb.Policy, error) {
	var p *iampb.Policy
	err := s.call(ctx, "dataproc.GetIamPolicy", cl.Region, false, PriorityCancel, func(ctx context.Context) error {
		var err error
		p, err = client.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: cl.Resource,
			Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}}, s.opts(c)...)
		return err
	})
	return p, err
}

// modifyPolicy reads the policy, lets mutate change it (false: nothing to
// do) and writes it back with the etag it read; a write refused because
// the etag is stale starts over after a jittered pause. A cluster that is
// gone is a permanent ReasonGone fault.
func (s *Submitter) modifyPolicy(ctx context.Context, c Caller, cl Cluster, mutate func(*iampb.Policy) bool) (int, error) {
	client, err := s.clients.Clusters(ctx, cl.Region)
	if err != nil {
		return 0, clientFault(err)
	}
	for attempt := 1; ; attempt++ {
		p, err := s.getPolicy(ctx, client, c, cl)
		if err != nil {
			return attempt, policyFault(cl, err)
		}
		if !mutate(p) {
			return attempt, nil
		}
		p.Version = 3 // conditions need it
		err = s.call(ctx, "dataproc.SetIamPolicy", cl.Region, false, PriorityCancel, func(ctx context.Context) error {
			_, err := client.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: cl.Resource, Policy: p}, s.opts(c)...)
			return err
		})
		if status.Code(err) != codes.Aborted {
			return attempt, policyFault(cl, err)
		}
		if attempt >= policyAttempts {
			return attempt, fault.AsTransient(ReasonPolicyConflict, fmt.Errorf("dataproc.SetIamPolicy(%s): %d attempts: %w", cl.Resource, attempt, err))
		}
		pause := time.Duration(rand.Int64N(int64(10*time.Millisecond) << min(attempt, 5)))
		if err := s.sleep(ctx, pause); err != nil {
			return attempt, err
		}
	}
}

func policyFault(cl Cluster, err error) error {
	if status.Code(err) == codes.NotFound {
		return &fault.Error{Kind: fault.Permanent, Reason: ReasonGone, Err: errors.Join(&GoneError{Resource: cl.Resource}, err)}
	}
	return classify(err)
}
