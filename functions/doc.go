// Package functions holds the Cloud Run functions entry points of the
// broker. They are thin adapters: decode the delivery, call the same
// broker parts that `iis serve` runs, and map the outcome to a status.
//
//   - HandleMessage: Pub/Sub messages pushed by Eventarc as CloudEvents of
//     type google.cloud.pubsub.topic.v1.messagePublished. A nil return acks
//     the message; an error has Eventarc redeliver it.
//   - SCIM: the SCIM 2.0 provisioning endpoint (HTTP).
//   - Watch: one poll of the job watcher (HTTP, for Cloud Scheduler), since
//     functions get no CPU between requests to watch in the background.
//
// Entry points are registered in init, as the Functions Framework expects.
// The broker behind them is built once per instance from the environment
// (the same IIS_* variables as `iis serve`), on the first call.
package functions
