// Package order has a struct whose best order also shortens the pointer prefix the GC scans.
package order

// Node is 48 bytes; pointers first it is 32 and the GC scans 16 bytes instead of 32.
type Node struct { // want `struct Node is 48 bytes \(48-byte objects\) with 21 bytes of padding; ordered p, q, r, a, b, c it is 32 bytes \(32-byte objects\), and the GC scans 16 bytes instead of 32`
	// a is documented
	// over two lines.
	a bool
	p *int // line comment on p
	b bool
	q *int
	c bool  /* block comment */
	r int64 // r stays non-pointer
}
