// Package kinds provokes one compiler decision of each kind hotpath reports.
package kinds

import "fmt"

// Point is small enough to inline everything around it.
type Point struct{ X, Y int }

// NewPoint returns a pointer to a local: p is moved to the heap.
func NewPoint(x, y int) *Point {
	p := Point{x, y}
	return &p
}

// Box stores its argument in an interface: the conversion escapes to the heap.
func Box(n int) any {
	return n
}

var sink []byte

// Keep leaks its parameter to the heap by storing it in a global.
func Keep(b []byte) {
	sink = b
}

// First leaks its parameter only to its result.
func First(b []byte) []byte {
	return b[:1]
}

// Sum is cheap and gets inlined into Caller.
func Sum(p Point) int { return p.X + p.Y }

// Caller calls Sum, which is inlined here.
func Caller() int { return Sum(Point{1, 2}) }

// Heavy is over the inlining budget.
func Heavy(s []int) int {
	t := 0
	for i := range s {
		t += s[i] * s[i]
		t ^= t << 3
		t += s[i] / 7
		t -= s[i] % 5
		t |= s[i] & 9
		t += s[i] * 11
		t ^= t >> 2
		t += s[i] * 13
		t -= s[i] * 17
	}
	return t + len(fmt.Sprint(t))
}

//go:noinline
func Pinned() int { return 1 }

// Shape is implemented by Square only, so a call on a known Square is devirtualised.
type Shape interface{ Area() int }

// Square is a Shape.
type Square struct{ S int }

// Area of the square.
func (s Square) Area() int { return s.S * s.S }

// Devirt calls Area through the interface on a value whose type the compiler knows.
func Devirt() int {
	var s Shape = Square{3}
	return s.Area()
}

// At leaves a bounds check: nothing proves i < len(s).
func At(s []int, i int) int { return s[i] }

// Deref keeps a nil check for the store through p.
func Deref(p *[4]int, q *[4]int) {
	p[0] = 1
	q[1] = p[2]
}

// Big is large enough that copying it is logged.
type Big struct{ A [32]int }

// CopyBig copies a Big through a pointer.
func CopyBig(p *Big) Big { return *p }

// Addr takes the address of an element behind p: the compiler must check p for nil explicitly.
func Addr(p *Big) *int { return &p.A[3] }

// UseAt inlines At: the bounds check it leaves is reported here, with At in its inlining chain.
func UseAt(s []int) int { return At(s, 5) }
