package functions

import (
	"testing"

	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
)

func TestChannelFromSource(t *testing.T) {
	b := &backend{topology: transport.DefaultTopology(), project: "prod"}
	for source, want := range map[string]string{
		"//pubsub.googleapis.com/projects/prod/topics/iis-requests":  events.ChannelRequests,
		"//pubsub.googleapis.com/projects/prod/topics/iis-identity":  events.ChannelIdentity,
		"//pubsub.googleapis.com/projects/other/topics/iis-identity": "", // same name, another project
		"//pubsub.googleapis.com/projects/prod/topics/iis-audit":     "",
		"//evil.example.com/projects/prod/topics/iis-identity":       "",
		"//pubsub.googleapis.com/projects/prod/topics/":              "",
		"": "",
	} {
		if got := b.channel(source); got != want {
			t.Errorf("channel(%q) = %q, want %q", source, got, want)
		}
	}
}
