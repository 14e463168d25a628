// Package generics has a generic struct whose layout depends on its type arguments.
package generics

// Pair wastes bytes for some type arguments only.
type Pair[K comparable, V any] struct { // want `struct Pair\[int64, bool\] is 24 bytes \(24-byte objects\) with 13 bytes of padding; ordered k, a, b, v it is 16 bytes \(16-byte objects\)`
	a bool
	k K
	b bool
	v V
}

func (p *Pair[K, V]) Key() K { return p.k }

var (
	wide  = Pair[int64, bool]{}
	small = Pair[bool, bool]{}
)
