// Package transport owns the broker's use of Google Cloud Pub/Sub: the
// client (real Pub/Sub, or a local emulator such as pstest), the topology
// of topics and subscriptions, and a publisher keyed by topic.
//
// It is separate so that the rest of the broker speaks in events.Message
// values and never imports the Pub/Sub client directly.
package transport
