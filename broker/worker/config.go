package worker

import (
	"errors"
	"time"
)

// Config tunes a Processor and Worker.
type Config struct {
	// Source is the CloudEvents source of the events the worker emits.
	Source string
	// MaxPanics is how many times a message may panic a handler before it
	// is treated as permanently unprocessable (audited, then acked).
	MaxPanics int
	// MaxAttempts is the delivery attempt at which a transient failure is
	// given up on: audited as event rejected (with the transient reason)
	// and acked. 0 retries for as long as Pub/Sub delivers. It must stay
	// below the subscription's dead-letter limit.
	MaxAttempts int
	// DedupeRetention is how long processed event ids are remembered.
	DedupeRetention time.Duration

	// MaxOutstandingMessages bounds messages held by one subscriber (backpressure).
	MaxOutstandingMessages int
	// NumGoroutines is the number of streaming-pull streams per subscription.
	NumGoroutines int
	// ShutdownTimeout bounds how long shutdown waits for in-flight messages.
	ShutdownTimeout time.Duration
	// MaxAckExtension bounds each extension of a held message's ack
	// deadline (10s to 600s; 0: the client's default, which follows the
	// 99th percentile of handling times). It is how soon the messages of a
	// worker that died are delivered to another.
	MaxAckExtension time.Duration
}

// DefaultConfig returns the defaults documented in the README.
func DefaultConfig() Config {
	return Config{
		Source:                 "//dataproc-iis/broker",
		MaxPanics:              3,
		MaxAttempts:            50,
		DedupeRetention:        7 * 24 * time.Hour,
		MaxOutstandingMessages: 100,
		NumGoroutines:          4,
		ShutdownTimeout:        30 * time.Second,
		MaxAckExtension:        10 * time.Second,
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Source == "" {
		errs = append(errs, errors.New("worker: Source is required"))
	}
	if c.MaxPanics < 1 {
		errs = append(errs, errors.New("worker: MaxPanics must be at least 1"))
	}
	if c.MaxOutstandingMessages < 1 {
		errs = append(errs, errors.New("worker: MaxOutstandingMessages must be at least 1"))
	}
	if c.NumGoroutines < 1 {
		errs = append(errs, errors.New("worker: NumGoroutines must be at least 1"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("worker: ShutdownTimeout must be positive"))
	}
	if c.MaxAckExtension != 0 && (c.MaxAckExtension < 10*time.Second || c.MaxAckExtension > 600*time.Second) {
		errs = append(errs, errors.New("worker: MaxAckExtension must be 0 or between 10s and 600s"))
	}
	return errors.Join(errs...)
}
