package profiling

import (
	"strings"
	"time"
)

// Point is one sample of every signal: the runtime's saturation and the
// golden signals of all routes together.
type Point struct {
	Time time.Time `json:"time"`
	Saturation
	HTTP RouteSignals `json:"http"`
}

// signalNames lists what a Rule can watch. Latencies are in seconds, memory
// in bytes, CPU in cores, ratios in 0..1.
var signalNames = []string{
	"sched.latency.p50", "sched.latency.p99", "sched.latency.max",
	"gc.pause.p50", "gc.pause.p99", "gc.pause.max", "gc.cpu_fraction",
	"goroutines", "goroutines.runnable",
	"heap.live", "heap.goal", "memory.total", "memory.headroom", "memory.used",
	"cpu.utilization", "cpu.user", "cpu.gc",
	"http.throughput", "http.error_ratio", "http.in_flight",
	"http.latency.p50", "http.latency.p95", "http.latency.p99", "http.latency.max",
}

// SignalNames returns the names a Rule's Signal may take.
func SignalNames() []string { return append([]string(nil), signalNames...) }

// signalValue reads a named signal from a sample. For http.* signals the
// route's entry is used (routes[0] is the total); ok is false when the route
// has not been seen yet.
func signalValue(name string, sat *Saturation, routes []RouteSignals, route string) (v float64, ok bool) {
	if rest, isHTTP := strings.CutPrefix(name, "http."); isHTTP {
		for i := range routes {
			if routes[i].Route == route {
				return httpValue(rest, &routes[i]), true
			}
		}
		return 0, false
	}
	switch name {
	case "sched.latency.p50":
		return sat.SchedLatency.P50, true
	case "sched.latency.p99":
		return sat.SchedLatency.P99, true
	case "sched.latency.max":
		return sat.SchedLatency.Max, true
	case "gc.pause.p50":
		return sat.GCPause.P50, true
	case "gc.pause.p99":
		return sat.GCPause.P99, true
	case "gc.pause.max":
		return sat.GCPause.Max, true
	case "gc.cpu_fraction":
		return sat.GCCPUFraction, true
	case "goroutines":
		return float64(sat.Goroutines), true
	case "goroutines.runnable":
		return float64(sat.GoroutinesRunnable), true
	case "heap.live":
		return float64(sat.HeapLive), true
	case "heap.goal":
		return float64(sat.HeapGoal), true
	case "memory.total":
		return float64(sat.MemoryTotal), true
	case "memory.headroom":
		return float64(sat.MemoryHeadroom), sat.MemoryLimit > 0
	case "memory.used":
		return sat.MemoryUsed, sat.MemoryLimit > 0
	case "cpu.utilization":
		return sat.CPUUtilization, true
	case "cpu.user":
		return sat.CPU.User, true
	case "cpu.gc":
		return sat.CPU.GC, true
	}
	return 0, false
}

func httpValue(name string, r *RouteSignals) float64 {
	switch name {
	case "throughput":
		return r.Throughput
	case "error_ratio":
		return r.ErrorRatio
	case "in_flight":
		return float64(r.InFlight)
	case "latency.p50":
		return r.Latency.P50
	case "latency.p95":
		return r.Latency.P95
	case "latency.p99":
		return r.Latency.P99
	case "latency.max":
		return r.Latency.Max
	}
	return 0
}
