// Package backoff is the retry schedule shared by the broker's Google API
// callers (IAM Credentials, Dataproc): exponential backoff with jitter and
// a fixed number of attempts. The callers keep their own loops, since what
// is retryable and how it is logged belong to each API.
package backoff
