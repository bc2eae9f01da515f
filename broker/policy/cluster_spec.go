package policy

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/dataproc-iis/iis/events"
)

// applyConfig applies what a request (or a stored configuration) sets to s
// and returns a reason for each value that cannot be read (a bad duration).
func applyConfig(s *ClusterSpec, c events.ClusterConfig) []ClusterReason {
	var bad []ClusterReason
	group := func(n *NodeSpec, g *events.NodeGroup) {
		if g == nil {
			return
		}
		if g.Count != nil {
			n.Count = *g.Count
		}
		if g.MachineType != "" {
			n.MachineType = g.MachineType
		}
		if g.Accelerators != nil {
			n.Accelerators = nil
			for _, a := range g.Accelerators {
				n.Accelerators = append(n.Accelerators, AcceleratorSpec{Type: a.Type, Count: a.Count})
			}
		}
	}
	group(&s.Master, c.Master)
	group(&s.Workers, c.Workers)
	group(&s.SecondaryWorkers, c.SecondaryWorkers)
	if c.ImageVersion != "" {
		s.ImageVersion = c.ImageVersion
	}
	for _, t := range []struct {
		field string
		src   string
		dst   *time.Duration
	}{{"config.idle_delete_ttl", c.IdleDeleteTTL, &s.IdleDeleteTTL}, {"config.auto_delete_ttl", c.AutoDeleteTTL, &s.AutoDeleteTTL}} {
		if t.src == "" {
			continue
		}
		d, err := time.ParseDuration(t.src)
		if err != nil || d <= 0 {
			bad = append(bad, ClusterReason{Code: CodeClusterTTLInvalid, Field: t.field, Cap: "a positive Go duration",
				Message: t.field + " " + strconv.Quote(t.src) + " is not a positive duration"})
			continue
		}
		*t.dst = d
	}
	if c.InternalIPOnly != nil {
		s.InternalIPOnly = *c.InternalIPOnly
	}
	if c.KMSKey != "" {
		s.KMSKey = c.KMSKey
	}
	if c.NetworkTags != nil {
		s.NetworkTags = slices.Clone(c.NetworkTags)
	}
	if c.ServiceAccount != "" {
		s.ServiceAccount = c.ServiceAccount
	}
	if c.PersonalAuth != nil {
		s.PersonalAuth = *c.PersonalAuth
	}
	if c.ComponentGateway != nil {
		s.ComponentGateway = *c.ComponentGateway
	}
	if c.OptionalComponents != nil {
		s.OptionalComponents = slices.Clone(c.OptionalComponents)
	}
	if len(c.Properties) > 0 {
		props := maps.Clone(s.Properties)
		if props == nil {
			props = map[string]string{}
		}
		maps.Copy(props, c.Properties)
		s.Properties = props
	}
	return bad
}

// clone returns a deep copy of s, so that a request's changes never reach
// the compiled template.
func (s ClusterSpec) clone() ClusterSpec {
	c := s
	for _, n := range []*NodeSpec{&c.Master, &c.Workers, &c.SecondaryWorkers} {
		n.Accelerators = slices.Clone(n.Accelerators)
	}
	c.NetworkTags = slices.Clone(s.NetworkTags)
	c.OptionalComponents = slices.Clone(s.OptionalComponents)
	c.Properties = maps.Clone(s.Properties)
	return c
}
