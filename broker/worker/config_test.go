package worker_test

import (
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/worker"
)

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*worker.Config)
		ok   bool
	}{
		{"defaults", func(*worker.Config) {}, true},
		{"client's ack extension", func(c *worker.Config) { c.MaxAckExtension = 0 }, true},
		{"ack extension below Pub/Sub's minimum", func(c *worker.Config) { c.MaxAckExtension = 5 * time.Second }, false},
		{"ack extension above Pub/Sub's maximum", func(c *worker.Config) { c.MaxAckExtension = 11 * time.Minute }, false},
		{"no source", func(c *worker.Config) { c.Source = "" }, false},
		{"no streams", func(c *worker.Config) { c.NumGoroutines = 0 }, false},
	} {
		c := worker.DefaultConfig()
		tt.edit(&c)
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
