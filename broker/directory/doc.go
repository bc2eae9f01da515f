// Package directory makes the store's users and groups (kept by SCIM, or
// loaded with `iis directory import`) the authority on principals: who
// exists, who is active or locked, and which groups they are in.
//
// It adapts the store to decision.Directory and loads directory files. It is
// separate from the SCIM server, which writes the directory, and from the
// decision, which only reads it. Cached puts a per-worker cache in front of
// Store, served only while a change Feed (postgres.Listener) is up.
package directory
