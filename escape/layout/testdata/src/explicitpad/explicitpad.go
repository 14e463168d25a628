// Package explicitpad has deliberate padding the suggestions must respect.
package explicitpad

// Ring is reordered only after its padding: the _ field stays at offset 16.
type Ring struct { // want `struct Ring is 88 bytes \(96-byte objects\) with 21 bytes of padding; ordered flag, head, _, tail, done, mark it is 80 bytes \(80-byte objects\)`
	flag bool
	head uint64
	_    [48]byte
	done bool
	tail uint64
	mark bool
}

type cacheLinePad struct{ _ [64]byte }

// Lines uses a padding type; nothing after it could move before it.
type Lines struct {
	a   bool
	b   uint64
	pad cacheLinePad
	c   uint64
}
