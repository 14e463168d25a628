// Package inl holds inlining directives in passing and failing forms.
package inl

import "runtime"

// Small is cheap: inlinable.
//
//hotpath:inline
func Small(x int) int { return x*2 + 1 }

// Big is over the inlining budget; its only caller lives in package user.
//
//hotpath:inline
func Big(xs []int) int {
	s := 0
	for i, x := range xs {
		switch {
		case x > 10:
			s += x * i
		case x < -10:
			s -= x / (i + 1)
		default:
			s ^= x << 2
		}
		if s > 1<<20 {
			s = s%7 + len(xs)
		}
		if s < -1<<20 {
			s = -s/3 + x*x - i
		}
		for j := 0; j < i%4; j++ {
			s += j * x
		}
	}
	return s
}

// Calls has one call site inlined, one not, and one in dead code.
func Calls(xs []int) int {
	a := Small(len(xs)) //hotpath:inline
	//hotpath:inline
	b := Big(xs)
	if runtime.GOARCH == "arm" {
		a += Small(3) //hotpath:inline
	}
	return a + b
}

// Max is generic and small; package user instantiates it.
//
//hotpath:inline
func Max[T int | float64](a, b T) T {
	if a > b {
		return a
	}
	return b
}

// Min is generic and never instantiated: there is nothing to check.
//
//hotpath:inline
func Min[T int | float64](a, b T) T {
	if a < b {
		return a
	}
	return b
}
