//go:build unix

package shop

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) this process has used. Unlike wall time it does
// not count time spent waiting for a CPU, so it holds up on a machine shared with other work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
