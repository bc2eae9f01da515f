package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
)

// Fault reasons of the errors the store classifies.
const (
	ReasonUnavailable = "store_unavailable" // database unreachable, timing out or failing
	ReasonBusy        = "store_busy"        // serialization retries exhausted
	ReasonInvalid     = "store_invalid"     // a call that breaks the contract
)

// classify says what err means, looking through wrapping.
func (d *Dialect) classify(err error) Class {
	switch {
	case err == nil:
		return ClassOther
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded):
		return ClassUnavailable
	}
	if d.Classify == nil {
		return ClassOther
	}
	return d.Classify(err)
}

// Wrap wraps a driver error from op. Unavailability becomes a transient
// fault; unexpected constraint violations become ErrConflict or ErrNotFound;
// serialization failures stay recognisable so that Update can retry them.
func (d *Dialect) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	switch d.classify(err) {
	case ClassUnavailable:
		return fault.AsTransient(ReasonUnavailable, fmt.Errorf("%s: %w", op, err))
	case ClassUnique:
		return fmt.Errorf("%s: %w: %w", op, store.ErrConflict, err)
	case ClassForeignKey:
		return fmt.Errorf("%s: %w: %w", op, store.ErrNotFound, err)
	case ClassInvalid:
		return fault.AsPermanent(ReasonInvalid, fmt.Errorf("%s: %w: %w", op, store.ErrInvalid, err))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// invalid returns a permanent ErrInvalid error.
func invalid(format string, args ...any) error {
	return fault.AsPermanent(ReasonInvalid, fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrInvalid))
}

// notFound returns an ErrNotFound error about what.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrNotFound)
}

// conflict returns an ErrConflict error about what.
func conflict(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrConflict)
}
