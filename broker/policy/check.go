package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// check runs the checks of role r against the request, cheapest first,
// appending one Reason per failed check to reasons. It reports whether the
// role allows the request. Unless e.all is set (Explain), it stops at the
// first failure. The CEL condition runs only when every other check passes.
func (e *evaluation) check(r *role, reasons *[]Reason) bool {
	failed := false
	fail := func(code, msg string) bool {
		*reasons = append(*reasons, Reason{Code: code, Role: r.name, Message: msg})
		failed = true
		return !e.all
	}
	req := &e.req
	if r.principalTypes != nil && !slices.Contains(r.principalTypes, req.Principal.Type) {
		if fail(CodePrincipalType, "principal type "+strconv.Quote(req.Principal.Type)+" is not allowed (allowed: "+strings.Join(r.principalTypes, ", ")+")") {
			return false
		}
	}
	if !r.allowsTarget(req.Target) {
		if e.target == "" {
			e.target = "target project " + strconv.Quote(req.Target.Project) + " region " + strconv.Quote(req.Target.Region) + " " + clusterText(req.Target.Cluster) + " is not allowed"
		}
		if fail(CodeTarget, e.target) {
			return false
		}
	}
	if !slices.Contains(r.jobTypes, req.Job.Type) {
		if fail(CodeJobType, "job type "+strconv.Quote(req.Job.Type)+" is not allowed (allowed: "+strings.Join(r.jobTypes, ", ")+")") {
			return false
		}
	}
	if e.checkLocations(r, fail) {
		return false
	}
	if !e.fetchSet {
		e.fetchKeys, e.fetchSet = fetchPropertyKeys(req.Job.Properties), true
	}
	if e.fetchKeys != "" {
		if fail(CodeProperty, "properties "+e.fetchKeys+" are not allowed: only resource and tuning properties, and code and data URIs under the data locations") {
			return false
		}
	}
	switch {
	case req.MaxDuration < 0:
		if fail(CodeMaxDuration, "requested max duration "+req.MaxDuration.String()+" is negative") {
			return false
		}
	case req.MaxDuration > r.maxDuration:
		if fail(CodeMaxDuration, "requested max duration "+req.MaxDuration.String()+" exceeds the role's "+r.maxDuration.String()) {
			return false
		}
	}
	if r.justification && strings.TrimSpace(req.Justification) == "" {
		if fail(CodeJustification, "a justification is required") {
			return false
		}
	}
	if failed {
		return false
	}
	if r.cond == nil {
		return true
	}
	ok, err := r.cond.eval(e.activation())
	switch {
	case err != nil:
		fail(CodeConditionError, "condition failed to evaluate (denied): "+err.Error())
	case !ok:
		fail(CodeConditionFalse, "condition is false: "+r.cond.src)
	}
	return !failed
}

func clusterText(c string) string {
	if c == "" {
		return "(serverless)"
	}
	return "cluster " + strconv.Quote(c)
}

// allowsTarget reports whether some target rule of r allows t (already lower
// case).
func (r *role) allowsTarget(t Target) bool {
	for i := range r.targets {
		tr := &r.targets[i]
		if !tr.project.match(t.Project) || !tr.region.match(t.Region) {
			continue
		}
		if t.Cluster == "" && tr.serverless || t.Cluster != "" && tr.cluster != nil && tr.cluster.match(t.Cluster) {
			return true
		}
	}
	return false
}

// checkLocations requires every job URI to fall under r's data locations
// under both its literal and its canonical reading (see uriPaths). It
// reports whether fail asked to stop.
func (e *evaluation) checkLocations(r *role, fail func(code, msg string) bool) bool {
	var invalid, outside []string
	eachURI(&e.req.Job, func(u jobURI) bool {
		bucket, literal, canonical, err := uriPaths(u.uri)
		switch {
		case errors.Is(err, errNotGS):
			outside = append(outside, u.String()+" (not gs://)")
		case err != nil:
			invalid = append(invalid, u.String()+" ("+err.Error()+")")
		case !r.covers(bucket, literal) || !r.covers(bucket, canonical):
			outside = append(outside, u.String())
		default:
			return true
		}
		return e.all // one offending URI is enough to reject the role
	})
	if len(invalid) > 0 && fail(CodeDataLocationInvalid, listText(invalid)) {
		return true
	}
	return len(outside) > 0 && fail(CodeDataLocation, "outside the role's data locations: "+listText(outside))
}

func (r *role) covers(bucket, path string) bool {
	for _, l := range r.locations {
		if l.covers(bucket, path) {
			return true
		}
	}
	return false
}

// listText joins up to three items and counts the rest.
func listText(items []string) string {
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:3], ", ") + " and " + strconv.Itoa(len(items)-3) + " more"
}
