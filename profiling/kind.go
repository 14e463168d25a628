package profiling

import "fmt"

// Kind names a profile type. The names are stable: they are directory names in the store and query values
// of the endpoint.
type Kind string

// Profile kinds. KindCPU, KindHeap and KindGoroutine are collected by default; KindMutex, KindBlock and
// KindWall are opt-in because they cost more or change runtime settings. KindTrace is never collected per
// window: it holds execution traces saved with [Profiler.SaveCapture].
const (
	KindCPU       Kind = "cpu"       // on-CPU samples (runtime/pprof CPU profiler), 100 Hz
	KindHeap      Kind = "heap"      // inuse_* gauges and alloc_* per-window deltas
	KindGoroutine Kind = "goroutine" // goroutine stacks at the end of the window (a gauge)
	KindMutex     Kind = "mutex"     // contentions and delay, per-window deltas
	KindBlock     Kind = "block"     // contentions and delay, per-window deltas
	KindWall      Kind = "wall"      // on- and off-CPU wall-clock samples (fgprof), 99 Hz
	KindTrace     Kind = "trace"     // runtime/trace execution trace (captures only; not pprof)
)

// Kinds lists every kind the store accepts, in display order.
var Kinds = []Kind{KindCPU, KindHeap, KindGoroutine, KindMutex, KindBlock, KindWall, KindTrace}

// defaultKinds are collected when Config.Kinds is empty.
var defaultKinds = []Kind{KindCPU, KindHeap, KindGoroutine}

// ParseKind returns the Kind named s, or an error wrapping ErrBadRequest.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("profiling: parse kind %q: %w: want one of cpu, heap, goroutine, mutex, block, wall, trace", s, ErrBadRequest)
}

// isPprof reports whether files of this kind hold a gzipped pprof protobuf.
func (k Kind) isPprof() bool { return k != KindTrace }

// windowed reports whether the kind is collected once per window.
func (k Kind) windowed() bool { return k != KindTrace && k != "" }
