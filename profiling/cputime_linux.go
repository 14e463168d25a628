package profiling

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPUTime is the calling thread's CPU time (user and system), or 0 if the clock cannot be read.
func threadCPUTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
