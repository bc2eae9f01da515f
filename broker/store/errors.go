package store

import "errors"

var (
	// ErrNotFound is returned when the addressed record (user, group,
	// decision, job, grant) does not exist, or when a membership names a user
	// that does not exist.
	ErrNotFound = errors.New("store: not found")

	// ErrConflict is returned when a write would break a uniqueness or
	// ordering rule: a stale Version in PutUser or PutGroup, a duplicate
	// userName or group displayName, a grant or outbox event id that already
	// exists, an audit chain Seq that is not the head's successor, or an
	// e-mail lookup that matches several users. Nothing is written.
	ErrConflict = errors.New("store: conflict")

	// ErrInvalid is returned when an argument breaks the store's contract
	// (an empty key, an unknown outcome or job kind, malformed JSON, a
	// password in user attributes, a write inside View). Nothing is written.
	// Errors wrapping it are classified as permanent (package fault): retrying
	// the same call cannot succeed.
	ErrInvalid = errors.New("store: invalid argument")
)
