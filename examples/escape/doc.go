// Package escape shows five common ways Go code loses the compiler's optimisations on a hot path — the
// Go counterparts of V8's deoptimisation traps — each next to its fix, and pins every fix with a
// //hotpath: directive so a change that breaks it fails CI:
//
//  1. interface boxing in a hot loop (BoxedSamples vs Samples);
//  2. a closure that captures by reference and outlives its call (ClosureCounter vs Counter);
//  3. fmt on a hot path (KeyFmt vs KeyBuf.Key);
//  4. a slice that grows past its capacity and is returned (Squares vs FillSquares);
//  5. a function just over the inlining budget (ClampSlow vs Clamp).
//
// See what the compiler did, and check the directives:
//
//	go run ./cmd/hotpath escape ./examples/escape
//	go run ./cmd/hotpath check ./examples/escape
//
// The benchmarks measure each pair:
//
//	go test -bench . -benchmem ./examples/escape
package escape
