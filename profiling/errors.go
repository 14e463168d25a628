package profiling

import "errors"

// Sentinel errors. Every error the package returns wraps one of these, so callers can match with errors.Is.
var (
	// ErrInvalidConfig reports a Config field out of range.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrStopped reports a call on a Profiler after Stop.
	ErrStopped = errors.New("profiler stopped")
	// ErrCPUProfilerInUse reports that something outside this Profiler holds the process-wide CPU profiler
	// (a bare pprof.StartCPUProfile, another profiling library). Windows back off and retry next period.
	ErrCPUProfilerInUse = errors.New("cpu profiler in use by another owner")
	// ErrBusy reports that a capture of the same kind is already running; the endpoint answers 429.
	ErrBusy = errors.New("capture of this kind already running")
	// ErrNotFound reports that the store holds no profile for the requested kind and range.
	ErrNotFound = errors.New("no profile in range")
	// ErrCorrupt reports a stored file that does not parse; it is never served.
	ErrCorrupt = errors.New("corrupt profile")
	// ErrBadRequest reports a malformed query value; the endpoint answers 400 with the wrapped reason.
	ErrBadRequest = errors.New("bad request")
	// ErrOverBudget reports a collection skipped because it would exceed its goroutine budget.
	ErrOverBudget = errors.New("over budget")
)
