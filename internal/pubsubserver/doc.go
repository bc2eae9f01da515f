// Package pubsubserver runs pstest, the Pub/Sub fake from Google's own
// client module, on a TCP port so that other processes (iis publish, iis
// tail, a second worker) reach it through PUBSUB_EMULATOR_HOST.
//
// Known limits of pstest are listed in the README; the broker is designed
// not to rely on the features pstest lacks (retry backoff, dead letters).
package pubsubserver
