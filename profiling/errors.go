package profiling

import "errors"

// Sentinel errors; every error the package returns wraps one of them.
var (
	// ErrBadLabel reports a ?label= value that is not "key:value".
	ErrBadLabel = errors.New("bad label filter")

	// ErrBadQuery reports a query parameter that cannot be parsed.
	ErrBadQuery = errors.New("bad query")

	// ErrNoProfiles reports that a query selected no stored profile.
	ErrNoProfiles = errors.New("no profiles")

	// ErrInvalidConfig reports a Config field out of range.
	ErrInvalidConfig = errors.New("invalid config")

	// ErrStopped reports a call on a sink or profiler that has been stopped.
	ErrStopped = errors.New("stopped")
)
