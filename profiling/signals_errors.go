package profiling

import "errors"

// Sentinels of the saturation monitor, golden signals and triggers (the
// package-wide ones are in errors.go).
var (
	// ErrCgroup is wrapped by errors about control group files that cannot be parsed.
	ErrCgroup = errors.New("bad cgroup data")
	// ErrInvalidRule is wrapped by errors about a trigger Rule that cannot work.
	ErrInvalidRule = errors.New("invalid trigger rule")
	// ErrNoCPUOwner reports a CPU capture asked of a monitor that has no CPU profiler owner.
	ErrNoCPUOwner = errors.New("no CPU profiler owner configured")
)
