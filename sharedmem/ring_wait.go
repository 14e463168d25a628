package sharedmem

import (
	"math"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// SpinForever, as EndpointConfig.Spin, makes a blocked endpoint busy-wait and never sleep in the
// kernel: the lowest latency, one core burnt while waiting.
const SpinForever = time.Duration(math.MaxInt64)

// Defaults of EndpointConfig.
const (
	DefaultSpin = 20 * time.Microsecond
	DefaultPoll = 100 * time.Millisecond
)

// EndpointConfig tunes one end of a ring, in one process. The zero value is valid.
type EndpointConfig struct {
	// Spin is how long a blocked Reserve or Read busy-waits (yielding to other goroutines every 64
	// checks) before sleeping on a futex. Zero means DefaultSpin (20µs); negative means sleep at
	// once; SpinForever never sleeps.
	Spin time.Duration
	// Poll is how often a sleeping endpoint wakes up to check whether the peer died or closed.
	// Zero means DefaultPoll (100ms). Negative means never: each sleep then arms no kernel timer,
	// which saves about a microsecond per wake-up in a VM, but a peer that dies without Close is
	// not noticed while this side sleeps.
	Poll time.Duration
	// Batch is how many commits a single producer gathers before publishing them with one atomic
	// store (it also publishes when the consumer sleeps, when the ring is full, and on Flush and
	// Close). Zero or one publishes every commit. With Batch > 1 call Flush when you stop
	// producing, or the last records stay invisible. MPSC producers always commit one by one.
	Batch int
	// Unguarded skips debug.SetPanicOnFault and a deferred recover around each call that touches
	// shared memory (about 8ns a call). A peer truncating the region then kills this process with
	// SIGBUS, unless the caller runs its loop inside this region's Region.Guard: one guard per
	// loop instead of one per call. Endpoints in a sealed region (Region.Sealed) are always
	// unguarded: nothing can truncate it.
	Unguarded bool
}

func (c EndpointConfig) spin() time.Duration {
	if c.Spin == 0 {
		return DefaultSpin
	}
	return c.Spin
}

func (c EndpointConfig) poll() time.Duration {
	switch {
	case c.Poll < 0:
		return -1
	case c.Poll == 0:
		return DefaultPoll
	}
	return c.Poll
}

// waiter is the side of a ring that blocks: ready tries once more, peerGone checks the other side
// when a sleep times out.
type waiter interface {
	ready() (bool, error)
	peerGone() error
}

// block waits until w is ready: it spins for cfg.Spin, then sleeps on the futex word seq after
// raising flag, so that the other side makes a wake syscall only when someone sleeps. The other
// side clears the flag when it wakes us; a sleeper never clears it, since MPSC producers share it.
func block(w waiter, cfg *EndpointConfig, seq, flag *uint32, st *Stats) error {
	st.Blocked++
	if spin := cfg.spin(); spin > 0 {
		var start time.Time // read lazily: most waits end within the first 64 checks
		for i := 1; ; i++ {
			if ok, err := w.ready(); ok || err != nil {
				return err
			}
			if i%64 != 0 {
				continue
			}
			runtime.Gosched()
			if spin != SpinForever {
				if start.IsZero() {
					start = time.Now()
				} else if time.Since(start) >= spin {
					break
				}
			}
			if i%(1<<16) == 0 {
				if err := w.peerGone(); err != nil {
					return err
				}
			}
		}
	}
	for {
		s := atomic.LoadUint32(seq)
		atomic.StoreUint32(flag, 1)
		if ok, err := w.ready(); ok || err != nil {
			return err
		}
		st.Sleeps++
		res, err := futexWait(seq, s, cfg.poll())
		if err != nil {
			return err
		}
		if res == TimedOut {
			if err := w.peerGone(); err != nil {
				return err
			}
		}
	}
}

// wake wakes sleepers on seq if flag says someone sleeps; otherwise it costs one load and no
// system call.
func wake(seq, flag *uint32, n int, st *Stats) {
	if atomic.LoadUint32(flag) != 0 && atomic.CompareAndSwapUint32(flag, 1, 0) {
		atomic.AddUint32(seq, 1)
		futexWake(seq, n)
		st.Wakes++
	}
}

// Stats counts what one endpoint did, to show which path ran: records moved, futex sleeps, and
// wake system calls (made only when the peer had flagged itself asleep).
type Stats struct {
	Records uint64 // records committed (producer) or read (consumer)
	Blocked uint64 // calls that found the ring full (producer) or empty (consumer) and waited
	Sleeps  uint64 // futex waits entered after spinning
	Wakes   uint64 // futex wake system calls made for the peer
}

// guard turns on fault-to-panic for the calling goroutine unless the endpoint is unguarded; the
// returned value goes to unguard in a defer. Every guarded call recovers its own fault, even when
// the mode was on already: the goroutine may be inside another region's Guard (a relay from one
// ring to another), where that Guard would not recognise this region's fault.
func guard(cfg *EndpointConfig) bool {
	if cfg.Unguarded {
		return false
	}
	return debug.SetPanicOnFault(true)
}

// unguard restores the fault mode and turns a fault inside the region into *err.
func (g *Ring) unguard(cfg *EndpointConfig, old bool, err *error) {
	if cfg.Unguarded {
		return
	}
	debug.SetPanicOnFault(old)
	if v := recover(); v != nil {
		*err = g.region.fault(v)
	}
}
