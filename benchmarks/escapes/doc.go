// Package escapes measures the Go counterpart of V8's deoptimisation traps: what it costs when the
// compiler's escape analysis moves a value from the stack to the heap. Each pair computes the same
// thing; only where the value lives differs. "go build -gcflags=-m" on this package shows why.
package escapes
