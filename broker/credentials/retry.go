package credentials

import (
	"time"

	"github.com/dataproc-iis/iis/broker/backoff"
)

// Retry bounds the retries of transient IAM errors: exponential backoff with
// jitter, a fixed number of attempts (defaults: 5 attempts, 200ms, 5s).
type Retry = backoff.Policy

var defaultRetry = Retry{Attempts: 5, Initial: 200 * time.Millisecond, Max: 5 * time.Second}
