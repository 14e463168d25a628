package sharedmem

import (
	"errors"
	"math"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futex operations without FUTEX_PRIVATE_FLAG (128): the kernel keys the wait queue on the backing
// page, so processes mapping the same file meet on the same word. x/sys/unix has SYS_FUTEX but no
// wrapper or constants.
const (
	futexWaitOp = 0
	futexWakeOp = 1
)

// futexWait sleeps while *addr == val, for at most timeout (forever if negative). It returns
// waitWoken on a wake-up (possibly spurious), waitNotEqual if *addr != val on entry, waitTimedOut
// on timeout.
func futexWait(addr *uint32, val uint32, timeout time.Duration) (WaitResult, error) {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	for first := true; ; first = false {
		var e unix.Errno
		if timeout < 0 {
			_, _, e = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val), 0, 0, 0)
		} else {
			left := time.Until(deadline)
			if left <= 0 && !first {
				return TimedOut, nil
			}
			ts := unix.NsecToTimespec(int64(max(left, 0)))
			_, _, e = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
		}
		switch e {
		case 0:
			return Woken, nil
		case unix.EAGAIN:
			return NotEqual, nil
		case unix.ETIMEDOUT:
			return TimedOut, nil
		case unix.EINTR:
			continue // a signal, not a wake-up: sleep for the rest of the timeout
		}
		return Woken, os.NewSyscallError("futex wait", errors.New(e.Error()))
	}
}

// futexWake wakes up to n sleepers on addr (all if n < 0) and returns how many woke.
func futexWake(addr *uint32, n int) int {
	if n < 0 || n > math.MaxInt32 {
		n = math.MaxInt32
	}
	r, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, uintptr(n), 0, 0, 0)
	if e != 0 {
		return 0
	}
	return int(r)
}
