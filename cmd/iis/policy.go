package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/events"
)

func init() {
	register("policy", "lint a policy (`policy check FILE`) or explain a what-if decision (`policy explain`)", runPolicy)
}

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return policyCheck(args[1:], stdout, stderr)
		case "explain":
			return policyExplain(args[1:], stdout, stderr)
		}
	}
	return errors.New("usage: iis policy check FILE | iis policy explain -policy FILE -request FILE -as PRINCIPAL [-groups g1,g2]")
}

func policyCheck(args []string, stdout, stderr io.Writer) error {
	f := newFlags("policy check", stderr)
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() == 0 {
		return errors.New("usage: iis policy check FILE...")
	}
	var bad error
	for _, path := range f.Args() {
		p, err := policy.Load(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad = fmt.Errorf("%d file(s) refused", f.NArg())
			continue
		}
		fmt.Fprintf(stdout, "ok  %s\n", p.Summary())
	}
	return bad
}

func policyExplain(args []string, stdout, stderr io.Writer) error {
	var pol, reqFile, as, groups, typ, role, at string
	var asJSON bool
	var active int
	f := newFlags("policy explain", stderr)
	f.String(&pol, "policy", "IIS_POLICY", "", "policy file")
	f.StringVar(&reqFile, "request", "", "job or cluster request data (JSON, as published; an id_token in it is ignored)")
	f.IntVar(&active, "active", 0, "cluster requests: how many clusters the principal already has")
	f.StringVar(&as, "as", "", "principal id to evaluate as (what-if: no token needed)")
	f.StringVar(&groups, "groups", "", "comma-separated groups of the principal")
	f.StringVar(&typ, "type", policy.TypeHuman, "principal type: human or workload")
	f.StringVar(&role, "role", "", "role to ask for (default: the request's, else the policy picks)")
	f.StringVar(&at, "time", "", "decision time, RFC 3339 (default now)")
	f.BoolVar(&asJSON, "json", false, "print the decision as JSON")
	if err := f.Parse(args); err != nil {
		return err
	}
	if pol == "" || reqFile == "" || as == "" {
		return errors.New("-policy, -request and -as are required")
	}
	p, err := policy.Load(pol)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(reqFile)
	if err != nil {
		return err
	}
	if isClusterRequest(b) {
		return explainCluster(stdout, p, b, policy.Principal{ID: as, Email: as, Type: typ, Groups: splitComma(groups)}, role, at, active, asJSON)
	}
	var jr events.JobRequest
	if err := json.Unmarshal(b, &jr); err != nil {
		return fmt.Errorf("%s: %w", reqFile, err)
	}
	req := policy.Request{
		Principal: policy.Principal{ID: as, Email: as, Type: typ, Groups: splitComma(groups)},
		Role:      jr.Role, Target: policy.Target(jr.Target), Job: policy.Job(jr.Job), Justification: jr.Justification,
	}
	if role != "" {
		req.Role = role
	}
	if jr.MaxDuration != "" {
		if req.MaxDuration, err = time.ParseDuration(jr.MaxDuration); err != nil {
			return fmt.Errorf("max_duration: %w", err)
		}
	}
	if at != "" {
		if req.Time, err = time.Parse(time.RFC3339, at); err != nil {
			return fmt.Errorf("-time: %w", err)
		}
	}
	d := p.Explain(req)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	printDecision(stdout, p, d)
	return nil
}

func printDecision(w io.Writer, p *policy.Policy, d policy.Decision) {
	switch {
	case d.Allowed:
		fmt.Fprintf(w, "ALLOWED  role %s via %s, runs as %s, max duration %s, credential lifetime %s\n",
			d.Role, d.Binding, d.ServiceAccount, d.MaxDuration, d.CredentialLifetime)
	case d.Approval != nil:
		fmt.Fprintf(w, "APPROVAL REQUIRED  role %s via %s, runs as %s\n", d.Role, d.Binding, d.ServiceAccount)
		printApproval(w, d.Approval)
	default:
		fmt.Fprintln(w, "DENIED")
	}
	for _, r := range d.Reasons {
		who := ""
		if r.Role != "" {
			who = "role " + r.Role + ": "
		}
		fmt.Fprintf(w, "  - %s%s: %s\n", who, r.Code, r.Message)
	}
	fmt.Fprintf(w, "policy %s\n", p.Summary())
}

func splitComma(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func printApproval(w io.Writer, a *policy.Approval) {
	for _, r := range a.Requirements {
		why := r.Rule
		if r.Reason != "" {
			why += ": " + r.Reason
		}
		fmt.Fprintf(w, "  %d of %s (%s)\n", r.Count, strings.Join(r.Approvers, ", "), why)
	}
	fmt.Fprintf(w, "  waits at most %s", a.ExpiresAfter)
	if a.Window > 0 {
		fmt.Fprintf(w, "; covers the requester's requests under the role for %s", a.Window)
	}
	fmt.Fprintln(w)
}
