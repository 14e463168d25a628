package sharedmem

import (
	"sync/atomic"
	"time"
	"unsafe"
)

// noCopy makes go vet's copylocks check flag copies of the types that embed it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// WaitResult says why Wait returned, like the strings returned by JavaScript's Atomics.wait.
type WaitResult int

const (
	// Woken means a Notify woke the waiter. Wake-ups can be spurious: re-check the condition.
	Woken WaitResult = iota
	// NotEqual means the cell did not hold the expected value, so Wait did not sleep.
	NotEqual
	// TimedOut means the timeout passed.
	TimedOut
)

// String returns "ok", "not-equal" or "timed-out".
func (w WaitResult) String() string {
	switch w {
	case Woken:
		return "ok"
	case NotEqual:
		return "not-equal"
	case TimedOut:
		return "timed-out"
	}
	return "WaitResult(" + itoa(int(w)) + ")"
}

// cells checks that n cells of size bytes at data offset off are aligned and inside the region,
// and returns a pointer to the first.
func (r *Region) cells(what string, off, n, size int) (unsafe.Pointer, error) {
	if r.closed.Load() {
		return nil, opError("view", r.name, ErrClosed)
	}
	if off%size != 0 {
		return nil, opError("view", r.name, detailf(ErrMisaligned, "%s view at offset %d, want a multiple of %d", what, off, size))
	}
	if off < 0 || n < 0 || off > r.Len() || n > (r.Len()-off)/size {
		return nil, opError("view", r.name, detailf(ErrInvalidConfig, "%d %s cells at offset %d outside %d data bytes", n, what, off, r.Len()))
	}
	return unsafe.Pointer(&r.mem[HeaderSize+off]), nil
}

// Int32s is a view of int32 cells in a region, accessed atomically (sequentially consistent, as
// sync/atomic). Cells use the machine's byte order: share them only between processes on one host.
// A Int32s is safe for concurrent use; an index out of range panics, like a slice index.
type Int32s struct {
	_     noCopy
	cells []int32
}

// Int32s returns a view of n int32 cells starting at data offset off. The offset must be a multiple
// of 4 (ErrMisaligned) and the cells must fit in the region (ErrInvalidConfig).
func (r *Region) Int32s(off, n int) (*Int32s, error) {
	p, err := r.cells("int32", off, n, 4)
	if err != nil {
		return nil, err
	}
	return &Int32s{cells: unsafe.Slice((*int32)(p), n)}, nil
}

// Len returns the number of cells.
func (v *Int32s) Len() int { return len(v.cells) }

// Load returns cell i.
func (v *Int32s) Load(i int) int32 { return atomic.LoadInt32(&v.cells[i]) }

// Store sets cell i to val.
func (v *Int32s) Store(i int, val int32) { atomic.StoreInt32(&v.cells[i], val) }

// Add adds delta to cell i and returns the new value.
func (v *Int32s) Add(i int, delta int32) int32 { return atomic.AddInt32(&v.cells[i], delta) }

// Swap sets cell i to val and returns the old value.
func (v *Int32s) Swap(i int, val int32) int32 { return atomic.SwapInt32(&v.cells[i], val) }

// CompareAndSwap sets cell i to new if it holds old, and reports whether it did.
func (v *Int32s) CompareAndSwap(i int, old, new int32) bool {
	return atomic.CompareAndSwapInt32(&v.cells[i], old, new)
}

// Wait sleeps while cell i holds expected, until a Notify on the cell (in any process mapping the
// region) or until timeout passes (a negative timeout waits forever), like Atomics.wait. On Linux it
// is a shared futex wait; elsewhere it polls, returning when the value changes or the time is up.
// Wake-ups can be spurious: loop on your condition.
func (v *Int32s) Wait(i int, expected int32, timeout time.Duration) (WaitResult, error) {
	return futexWait((*uint32)(unsafe.Pointer(&v.cells[i])), uint32(expected), timeout)
}

// Notify wakes up to n waiters on cell i (all if n < 0) and returns how many woke, like
// Atomics.notify. It always makes the system call; the ring avoids it when nobody sleeps.
func (v *Int32s) Notify(i int, n int) int {
	return futexWake((*uint32)(unsafe.Pointer(&v.cells[i])), n)
}

// Uint32s is a view of uint32 cells in a region, accessed atomically (sequentially consistent, as
// sync/atomic). Cells use the machine's byte order: share them only between processes on one host.
// A Uint32s is safe for concurrent use; an index out of range panics, like a slice index.
type Uint32s struct {
	_     noCopy
	cells []uint32
}

// Uint32s returns a view of n uint32 cells starting at data offset off. The offset must be a multiple
// of 4 (ErrMisaligned) and the cells must fit in the region (ErrInvalidConfig).
func (r *Region) Uint32s(off, n int) (*Uint32s, error) {
	p, err := r.cells("uint32", off, n, 4)
	if err != nil {
		return nil, err
	}
	return &Uint32s{cells: unsafe.Slice((*uint32)(p), n)}, nil
}

// Len returns the number of cells.
func (v *Uint32s) Len() int { return len(v.cells) }

// Load returns cell i.
func (v *Uint32s) Load(i int) uint32 { return atomic.LoadUint32(&v.cells[i]) }

// Store sets cell i to val.
func (v *Uint32s) Store(i int, val uint32) { atomic.StoreUint32(&v.cells[i], val) }

// Add adds delta to cell i and returns the new value.
func (v *Uint32s) Add(i int, delta uint32) uint32 { return atomic.AddUint32(&v.cells[i], delta) }

// Swap sets cell i to val and returns the old value.
func (v *Uint32s) Swap(i int, val uint32) uint32 { return atomic.SwapUint32(&v.cells[i], val) }

// CompareAndSwap sets cell i to new if it holds old, and reports whether it did.
func (v *Uint32s) CompareAndSwap(i int, old, new uint32) bool {
	return atomic.CompareAndSwapUint32(&v.cells[i], old, new)
}

// Wait sleeps while cell i holds expected, until a Notify on the cell (in any process mapping the
// region) or until timeout passes (a negative timeout waits forever), like Atomics.wait. On Linux it
// is a shared futex wait; elsewhere it polls, returning when the value changes or the time is up.
// Wake-ups can be spurious: loop on your condition.
func (v *Uint32s) Wait(i int, expected uint32, timeout time.Duration) (WaitResult, error) {
	return futexWait((*uint32)(unsafe.Pointer(&v.cells[i])), uint32(expected), timeout)
}

// Notify wakes up to n waiters on cell i (all if n < 0) and returns how many woke, like
// Atomics.notify. It always makes the system call; the ring avoids it when nobody sleeps.
func (v *Uint32s) Notify(i int, n int) int {
	return futexWake((*uint32)(unsafe.Pointer(&v.cells[i])), n)
}

// Int64s is a view of int64 cells in a region, accessed atomically (sequentially consistent, as
// sync/atomic). Cells use the machine's byte order: share them only between processes on one host.
// A Int64s is safe for concurrent use; an index out of range panics, like a slice index.
type Int64s struct {
	_     noCopy
	cells []int64
}

// Int64s returns a view of n int64 cells starting at data offset off. The offset must be a multiple
// of 8 (ErrMisaligned) and the cells must fit in the region (ErrInvalidConfig).
func (r *Region) Int64s(off, n int) (*Int64s, error) {
	p, err := r.cells("int64", off, n, 8)
	if err != nil {
		return nil, err
	}
	return &Int64s{cells: unsafe.Slice((*int64)(p), n)}, nil
}

// Len returns the number of cells.
func (v *Int64s) Len() int { return len(v.cells) }

// Load returns cell i.
func (v *Int64s) Load(i int) int64 { return atomic.LoadInt64(&v.cells[i]) }

// Store sets cell i to val.
func (v *Int64s) Store(i int, val int64) { atomic.StoreInt64(&v.cells[i], val) }

// Add adds delta to cell i and returns the new value.
func (v *Int64s) Add(i int, delta int64) int64 { return atomic.AddInt64(&v.cells[i], delta) }

// Swap sets cell i to val and returns the old value.
func (v *Int64s) Swap(i int, val int64) int64 { return atomic.SwapInt64(&v.cells[i], val) }

// CompareAndSwap sets cell i to new if it holds old, and reports whether it did.
func (v *Int64s) CompareAndSwap(i int, old, new int64) bool {
	return atomic.CompareAndSwapInt64(&v.cells[i], old, new)
}

// Uint64s is a view of uint64 cells in a region, accessed atomically (sequentially consistent, as
// sync/atomic). Cells use the machine's byte order: share them only between processes on one host.
// A Uint64s is safe for concurrent use; an index out of range panics, like a slice index.
type Uint64s struct {
	_     noCopy
	cells []uint64
}

// Uint64s returns a view of n uint64 cells starting at data offset off. The offset must be a multiple
// of 8 (ErrMisaligned) and the cells must fit in the region (ErrInvalidConfig).
func (r *Region) Uint64s(off, n int) (*Uint64s, error) {
	p, err := r.cells("uint64", off, n, 8)
	if err != nil {
		return nil, err
	}
	return &Uint64s{cells: unsafe.Slice((*uint64)(p), n)}, nil
}

// Len returns the number of cells.
func (v *Uint64s) Len() int { return len(v.cells) }

// Load returns cell i.
func (v *Uint64s) Load(i int) uint64 { return atomic.LoadUint64(&v.cells[i]) }

// Store sets cell i to val.
func (v *Uint64s) Store(i int, val uint64) { atomic.StoreUint64(&v.cells[i], val) }

// Add adds delta to cell i and returns the new value.
func (v *Uint64s) Add(i int, delta uint64) uint64 { return atomic.AddUint64(&v.cells[i], delta) }

// Swap sets cell i to val and returns the old value.
func (v *Uint64s) Swap(i int, val uint64) uint64 { return atomic.SwapUint64(&v.cells[i], val) }

// CompareAndSwap sets cell i to new if it holds old, and reports whether it did.
func (v *Uint64s) CompareAndSwap(i int, old, new uint64) bool {
	return atomic.CompareAndSwapUint64(&v.cells[i], old, new)
}
