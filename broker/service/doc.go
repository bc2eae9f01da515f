// Package service assembles a running broker from configuration: the store,
// the audit log and outbox relay, the handlers for each event type, and the
// Pub/Sub worker. `iis serve`, `iis dev` and the Cloud Run functions in
// functions/ all build the broker here, so every delivery path runs the
// same parts.
package service
