// Package brokertest runs a whole broker in-process for tests: pstest
// served on a TCP port and reached through the real Pub/Sub client, the
// topology created, a SQLite store in a temporary directory, and a
// subscription on the audit topic whose events arrive on a channel.
package brokertest
