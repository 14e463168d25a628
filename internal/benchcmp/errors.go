package benchcmp

import "errors"

var (
	// ErrNoResults means a side had no benchmark results at all.
	ErrNoResults = errors.New("no benchmark results")
	// ErrUnequalCounts means a benchmark ran a different number of times on the two sides while
	// Options.EqualCounts was set.
	ErrUnequalCounts = errors.New("unequal run counts")
)
