// Package hotlines turns a pprof profile into weights per source line and per call edge, so that facts
// about code (escapes, struct allocations, call sites) can be ranked by what they cost.
//
// # Attribution
//
// A sample is charged to the innermost frame that is not in the runtime: an allocation inside
// runtime.mallocgc counts at the line that asked for memory, not in the allocator. Inlined frames are
// resolved: every line of that frame's inline chain (the inlined body's line and the call lines it was
// inlined into) is charged once, because the compiler reports facts inside inlined bodies at the
// outermost call line. Cumulative weights charge every line on the stack once per sample.
//
// # Concurrency
//
// A *Profile is immutable after Read and safe for concurrent use.
package hotlines
