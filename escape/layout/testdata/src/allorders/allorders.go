// Package allorders is analysed with -all: every better order is reported.
package allorders

import "sync/atomic"

// SameClass saves 4 bytes per value within one size class.
type SameClass struct { // want `struct SameClass is 16 bytes \(16-byte objects\) with 6 bytes of padding; ordered b, d, a, c it is 12 bytes \(16-byte objects\)`
	a bool
	b int32
	c bool
	d int32
}

// Blocked would shrink only by putting x and y on one cache line.
type Blocked struct { // want `struct Blocked: no smaller order suggested: the 64-byte order would put x and y on one cache line`
	a   bool
	x   atomic.Int64
	b   bool
	buf [5]int64
	c   bool
	y   atomic.Int64
}

// Apart shrinks with its atomics still on separate lines.
type Apart struct { // want `struct Apart is 80 bytes \(80-byte objects\) with 14 bytes of padding; ordered a, b, x, buf, y it is 72 bytes \(80-byte objects\)`
	x   atomic.Int64
	a   bool
	buf [6]int64
	b   bool
	y   atomic.Int64
}
