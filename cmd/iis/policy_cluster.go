package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/events"
)

// isClusterRequest reports whether request data is a cluster request (it
// names a template).
func isClusterRequest(b []byte) bool {
	var probe struct {
		Template *string `json:"template"`
	}
	return json.Unmarshal(b, &probe) == nil && probe.Template != nil
}

// explainCluster is `iis policy explain` for a cluster request: every cap
// the request breaks, with its field, or the whole configuration approved.
func explainCluster(w io.Writer, p *policy.Policy, b []byte, pr policy.Principal, role, at string, active int, asJSON bool) error {
	var cr events.ClusterRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cr); err != nil {
		return fmt.Errorf("cluster request: %w", err)
	}
	req := policy.ClusterRequest{Principal: pr, Role: cr.Role, Template: cr.Template, Project: cr.Project, Region: cr.Region,
		Config: cr.Config, Justification: cr.Justification, Labels: cr.Labels, ActiveClusters: active}
	if role != "" {
		req.Role = role
	}
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return fmt.Errorf("-time: %w", err)
		}
		req.Time = t
	}
	d := p.ExplainCluster(req)
	if asJSON {
		out := struct {
			policy.ClusterDecision
			Config *events.ClusterConfig `json:"config,omitempty"`
		}{ClusterDecision: d}
		if d.Allowed {
			cfg := d.Spec.EventConfig()
			out.Config = &cfg
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if d.Allowed {
		s := d.Spec
		fmt.Fprintf(w, "ALLOWED  role %s via %s, template %s, VMs run as %s\n", d.Role, d.Binding, d.Template, d.ServiceAccount)
		fmt.Fprintf(w, "  %s/%s: master %s, %d × %s workers, %d secondary, image %s\n", s.Project, s.Region, s.Master.MachineType,
			s.Workers.Count, s.Workers.MachineType, s.SecondaryWorkers.Count, s.ImageVersion)
		fmt.Fprintf(w, "  idle-delete %s, auto-delete %s, internal IPs only %v, Component Gateway %v, personal auth %v\n",
			s.IdleDeleteTTL, s.AutoDeleteTTL, s.InternalIPOnly, s.ComponentGateway, s.PersonalAuth)
	} else {
		fmt.Fprintln(w, "DENIED")
	}
	for _, r := range d.Reasons {
		who := ""
		if r.Role != "" {
			who = "role " + r.Role + ": "
		}
		where := ""
		if r.Field != "" || r.Cap != "" {
			where = fmt.Sprintf(" [%s; %s]", r.Field, r.Cap)
		}
		fmt.Fprintf(w, "  - %s%s: %s%s\n", who, r.Code, r.Message, where)
	}
	fmt.Fprintf(w, "policy %s\n", p.Summary())
	return nil
}
