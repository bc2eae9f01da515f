package fault

import (
	"errors"
	"fmt"
)

// Kind says what the receiver should do with a message whose handling failed.
type Kind int

const (
	// Transient failures are retried: the message is nacked.
	Transient Kind = iota
	// Permanent failures are audited and acked: retrying cannot help.
	Permanent
)

func (k Kind) String() string {
	if k == Permanent {
		return "permanent"
	}
	return "transient"
}

// Error is an error with an explicit classification and a machine-readable
// reason (snake_case, e.g. "schema_violation", "token_expired").
type Error struct {
	Kind   Kind
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Permanentf returns a permanent error with the given reason.
func Permanentf(reason, format string, args ...any) error {
	return &Error{Kind: Permanent, Reason: reason, Err: fmt.Errorf(format, args...)}
}

// AsPermanent marks err as permanent with the given reason. It returns nil for a nil err.
func AsPermanent(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: Permanent, Reason: reason, Err: err}
}

// AsTransient marks err as transient with the given reason. It returns nil for a nil err.
func AsTransient(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: Transient, Reason: reason, Err: err}
}

// KindOf reports the classification of err. Unclassified errors are transient.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return Transient
}

// IsPermanent reports whether err is classified as permanent.
func IsPermanent(err error) bool { return err != nil && KindOf(err) == Permanent }

// ReasonOf returns the reason of the outermost classified error, or "internal".
func ReasonOf(err error) string {
	var fe *Error
	if errors.As(err, &fe) && fe.Reason != "" {
		return fe.Reason
	}
	return "internal"
}
