package profiling

import (
	"runtime"
	"time"
)

// cpuMeter measures the CPU time the calling goroutine spends between start and stop, by locking it to
// its thread and reading the thread's CPU clock. It is how the profiler charges its own work (reading,
// diffing and encoding profiles) in Stats; where the platform has no thread clock it reads zero.
type cpuMeter struct{ t0 time.Duration }

func startCPU() cpuMeter {
	runtime.LockOSThread()
	return cpuMeter{t0: threadCPUTime()}
}

// stop returns the CPU time used since start and unlocks the thread.
func (m cpuMeter) stop() time.Duration {
	d := threadCPUTime() - m.t0
	runtime.UnlockOSThread()
	if d < 0 {
		return 0
	}
	return d
}
