package profiling

import "time"

// clock is the wall clock the scheduler aligns windows on; tests replace it.
type clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed, and a function that releases it early.
	After(d time.Duration) (<-chan time.Time, func())
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// windowEnd returns the latest multiple of period (counted from the Unix epoch) at or before t.
func windowEnd(t time.Time, period time.Duration) time.Time {
	return t.Truncate(period)
}
