package profiling

import (
	"context"
	"time"
)

// Profile is one collected profile: a gzipped pprof protobuf (or, for KindTrace, a runtime/trace
// execution trace) covering [Start, End).
type Profile struct {
	Kind  Kind
	Start time.Time
	End   time.Time
	// Data is the encoded profile. For pprof kinds it is gzipped and its TimeNanos/DurationNanos match
	// Start and End; counters (alloc_*, contentions, delay) are deltas over the window and gauges (inuse_*,
	// goroutines) are the values at End.
	Data []byte
	// Source says what produced it: "window" for the periodic collection, or a short token such as a
	// trigger's rule name for captures.
	Source string
	// Meta carries capture details (the rule, the values that fired it); nil for windows.
	Meta map[string]string
}

// Batch is everything collected in one window: one Profile per enabled kind that was not skipped.
// A Batch is immutable once handed to a Sink; sinks must not modify it.
type Batch struct {
	Start time.Time
	End   time.Time
	// Labels: service, version, host, instance, pgo (the -pgo build setting, or "off") and the user's
	// Config.Labels. The same labels are written into each profile as "hotpath:key=value" comments.
	Labels   map[string]string
	Profiles []Profile
	// Skipped says, per kind, why a kind is missing from this window (over budget, CPU profiler held
	// elsewhere, a failed collection).
	Skipped map[Kind]string
}

// Sink receives every window's Batch. The Profiler calls Send from a single goroutine, in window order,
// with a context that is cancelled when Stop's context ends. A slow sink delays only later batches: the
// queue in front of the sinks is bounded (Config.Queue) and drops the oldest batch when full.
//
// A Sink that also implements interface{ Close(context.Context) error } is closed once by Stop, after the
// last batch.
type Sink interface {
	Send(ctx context.Context, b *Batch) error
}

// SinkFunc adapts a function to the Sink interface.
type SinkFunc func(ctx context.Context, b *Batch) error

// Send calls f(ctx, b).
func (f SinkFunc) Send(ctx context.Context, b *Batch) error { return f(ctx, b) }

// sinkCloser is the optional interface of a Sink that holds resources.
type sinkCloser interface {
	Close(ctx context.Context) error
}
