// Package esc holds noescape directives in passing and failing forms.
package esc

import "fmt"

// Sum keeps everything on the stack.
//
//hotpath:noescape
func Sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// First returns a view of its argument: b flows to the result only, which is not an escape.
//
//hotpath:noescape
func First(b []byte) []byte { return b[:1] }

// T is described with fmt.
type T struct{ N int }

// Describe passes its receiver to fmt.Sprint, so the receiver leaks.
//
//hotpath:noescape
func (t *T) Describe() string { return fmt.Sprint(t) }

// Point is a small value.
type Point struct{ X, Y int }

var sink *Point

// Keep stores a pointer in a global.
func Keep(x int) {
	p := &Point{X: x} //hotpath:noescape
	sink = p
}

// Local takes an address that never leaves.
func Local(x int) int {
	p := &Point{X: x} //hotpath:noescape
	return p.X + p.Y
}

// Publish stores what its argument points to: the content leaks, the pointer itself does not.
//
//hotpath:noescape
func Publish(pp **Point) { sink = *pp }

// Addr returns its parameter's address: the compiler files "moved to heap: x" at the parameter, and
// names this line only in the flow.
func Addr(x int) *int {
	return &x //hotpath:noescape
}
