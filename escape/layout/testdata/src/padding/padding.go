// Package padding has structs whose field order wastes bytes.
package padding

// Crosses drops from the 24-byte to the 16-byte size class when reordered.
type Crosses struct { // want `struct Crosses is 24 bytes \(24-byte objects\) with 14 bytes of padding; ordered b, a, c it is 16 bytes \(16-byte objects\)`
	a bool  // set once
	b int64 // the counter
	c bool
}

// SameClass saves 4 bytes per value, but both orders are 16-byte objects: not reported by default.
type SameClass struct {
	a bool
	b int32
	c bool
	d int32
}

// Packed is already optimal.
type Packed struct {
	b int64
	a bool
	c bool
}
