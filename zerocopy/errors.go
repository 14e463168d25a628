package zerocopy

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them (or an error from the operating
// system), so callers match with errors.Is.
var (
	// ErrLength reports a byte slice whose length is not a whole number of elements.
	ErrLength = errors.New("length is not a multiple of the element size")
	// ErrAlignment reports a byte slice whose first byte is not aligned for the element type.
	ErrAlignment = errors.New("base address is not aligned for the element type")
	// ErrType reports an element type that cannot be viewed as bytes: it holds pointers, a bool, or has
	// size zero.
	ErrType = errors.New("type cannot be viewed as bytes")
	// ErrViewMutated reports, in the hotpath_checkviews build, memory that changed under a live view.
	ErrViewMutated = errors.New("viewed memory changed while the view was live")
)
