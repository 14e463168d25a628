package benchcmp

import "errors"

var (
	// ErrNoResults means a side had no benchmark results at all.
	ErrNoResults = errors.New("no benchmark results")
	// ErrUnequalCounts means a benchmark ran a different number of times on the two sides while
	// Options.EqualCounts was set.
	ErrUnequalCounts = errors.New("unequal run counts")
	// ErrNothingInCommon means no benchmark (in any unit) has results on both sides, so there is
	// nothing to compare: typically two files from different packages, or a -bench pattern that
	// matched different benchmarks on each side.
	ErrNothingInCommon = errors.New("no benchmark in common")
)
