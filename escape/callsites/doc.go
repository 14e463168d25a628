// Package callsites finds the indirect call sites of Go packages — interface method calls and calls of
// function values — and, from a CPU profile, the concrete functions each one reached, with their
// weights. It is the Go counterpart of V8's inline caches.
//
// # Classes
//
// A site is monomorphic when the profile saw one callee below it, polymorphic with two to four and
// megamorphic with more, as V8 names its inline-cache states. Sites with no callee in the profile are
// cold and only counted.
//
// # What the compiler did
//
// Analyze then builds the packages with -pgo=<the profile> and -gcflags='<pattern>=-m -d=pgodebug=3',
// and attaches to each site the compiler's own call statistics: the weight it saw, its hottest callee
// and whether PGO devirtualised the call (a guarded direct call to that callee, which can then be
// inlined). The pgodebug output is a debug interface with no stability promise: the parser accepts the
// go1.21–go1.26 forms, counts lines and fields it does not know, and never guesses. A "PGO
// devirtualizing" line under -m confirms each verdict. Building with -pgo rebuilds the dependencies
// with that profile once; later runs with the same profile come from the build cache, which replays
// the compiler output.
//
// The compiler weighs a call site by the samples whose innermost call edge it is: its PGO graph counts
// only the last two frames of each sample. hotpath counts every frame, so a site whose callees do their
// work in deeper calls (net/http's conn writes, say) is hot here and weighs zero for PGO; the report says
// so rather than leave the two numbers unexplained.
//
// # Attribution
//
// Profile samples are charged to call sites by file and line, inlined frames resolved (see
// internal/hotlines). Interface sites keep only callees whose method name matches; function-value sites
// drop runtime frames. Two indirect calls of the same method on one line share their callees.
package callsites
