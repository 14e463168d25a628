//go:build !linux

package sharedmem

import (
	"sync/atomic"
	"time"
)

// Without futex, waiting spins briefly and then sleeps with a growing interval (up to 1ms), so a
// notification is seen within about a millisecond; Notify has nothing to wake.
func futexWait(addr *uint32, val uint32, timeout time.Duration) (WaitResult, error) {
	if atomic.LoadUint32(addr) != val {
		return NotEqual, nil
	}
	start := time.Now()
	sleep := time.Microsecond
	for i := 0; ; i++ {
		if atomic.LoadUint32(addr) != val {
			return Woken, nil
		}
		if timeout >= 0 && time.Since(start) >= timeout {
			return TimedOut, nil
		}
		if i < 100 {
			continue
		}
		time.Sleep(sleep)
		if sleep < time.Millisecond {
			sleep *= 2
		}
	}
}

func futexWake(addr *uint32, n int) int { return 0 }
