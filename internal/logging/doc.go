// Package logging configures zerolog for every binary of the broker: JSON
// lines with Cloud Logging field names (severity, message, time) for
// machines, and a readable console form when writing to a terminal.
package logging
