package escape

import (
	"fmt"
	"strconv"
)

// Trap 1: interface boxing in a hot loop. Every int stored in an []any is boxed: the value escapes to
// the heap (values 0–255 hit the runtime's static table, larger ones allocate).

// BoxedSamples keeps samples as interface values.
type BoxedSamples struct{ vals []any }

// Observe boxes v.
func (s *BoxedSamples) Observe(v int) { s.vals = append(s.vals, v) }

// Samples keeps the last 1024 samples as ints in a fixed ring: nothing to box, nothing to grow.
type Samples struct {
	vals [1024]int
	n    uint
}

// Observe stores v as it is.
//
//hotpath:inline,noescape,nobce
func (s *Samples) Observe(v int) {
	s.vals[s.n%uint(len(s.vals))] = v
	s.n++
}

// Trap 2: a closure that captures a variable by reference and outlives the call moves the variable
// to the heap.

// ClosureCounter returns a counter whose state lives in a heap-allocated variable.
func ClosureCounter() func() int {
	n := 0
	return func() int { n++; return n }
}

// Counter holds its state in a field; the caller decides where the Counter lives.
type Counter struct{ n int }

// Next counts.
//
//hotpath:inline,noescape
func (c *Counter) Next() int { c.n++; return c.n }

// Trap 3: fmt on a hot path. Its arguments are passed as interfaces and escape, and the result is a new
// string every time.

// KeyFmt formats a cache key with fmt.
func KeyFmt(user string, id int) string { return fmt.Sprintf("%s:%d", user, id) }

// KeyBuf is room for one key. Declared in the caller's loop, it stays on the caller's stack.
type KeyBuf [64]byte

// maxUser leaves room in a KeyBuf for ':' and the longest int64.
const maxUser = len(KeyBuf{}) - 1 - len("-9223372036854775808")

// Key writes "user:id" into b and returns its length: no boxing, no allocation. A user longer than 43
// bytes is cut.
//
//hotpath:noescape
func (b *KeyBuf) Key(user string, id int) int {
	n := copy(b[:maxUser], user)
	b[n] = ':'
	n++
	return n + len(strconv.AppendInt(b[n:n], int64(id), 10))
}

// Trap 4: a slice that grows past its capacity reallocates and copies as it goes, and a slice that is
// returned escapes.

// Squares builds a new slice by repeated append.
func Squares(n int) []int {
	var out []int
	for i := range n {
		out = append(out, i*i)
	}
	return out
}

// FillSquares fills a slice the caller sized once (and may reuse): no growth, no escape, and the loop
// is proven in bounds.
//
//hotpath:noescape,nobce
func FillSquares(dst []int) {
	for i := range dst {
		dst[i] = i * i
	}
}

// Trap 5: a function just over the inlining budget (80) pays a call on every use, and its callers
// cannot optimise across it.

// ClampSlow clamps v to [lo, hi] and counts the clamps, with the rare path inline: cost over 80.
func ClampSlow(v, lo, hi int, stats *ClampStats) int {
	if v < lo {
		stats.Low++
		stats.LastLow = v
		stats.Total += lo - v
		if stats.Low%1024 == 0 {
			stats.Reports = append(stats.Reports, "low:"+strconv.Itoa(v))
		}
		return lo
	}
	if v > hi {
		stats.High++
		stats.LastHigh = v
		stats.Total += v - hi
		if stats.High%1024 == 0 {
			stats.Reports = append(stats.Reports, "high:"+strconv.Itoa(v))
		}
		return hi
	}
	return v
}

// Clamp is the same with the rare path moved out of line: the hot function fits the budget.
//
//hotpath:inline
func Clamp(v, lo, hi int, stats *ClampStats) int {
	if v < lo || v > hi {
		return stats.clamp(v, lo, hi)
	}
	return v
}

// ClampStats counts what Clamp and ClampSlow clamped.
type ClampStats struct {
	Low, High         int
	LastLow, LastHigh int
	Total             int
	Reports           []string
}

//go:noinline
func (s *ClampStats) clamp(v, lo, hi int) int {
	if v < lo {
		s.Low++
		s.LastLow = v
		s.Total += lo - v
		if s.Low%1024 == 0 {
			s.Reports = append(s.Reports, "low:"+strconv.Itoa(v))
		}
		return lo
	}
	s.High++
	s.LastHigh = v
	s.Total += v - hi
	if s.High%1024 == 0 {
		s.Reports = append(s.Reports, "high:"+strconv.Itoa(v))
	}
	return hi
}
