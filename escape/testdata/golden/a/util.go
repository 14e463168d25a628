// Package a has a generic helper in util.go that copies a large value.
package a

// Big is 256 bytes.
type Big struct{ A [32]int }

// Clone copies *p; instantiated in other packages, its facts are logged in theirs.
func Clone[T any](p *T) T { return *p }

// Local copies a Big in package a itself.
func Local(p *Big) Big { return *p }
