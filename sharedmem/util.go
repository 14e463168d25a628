package sharedmem

import (
	"strconv"
	"unsafe"
)

func itoa(i int) string { return strconv.Itoa(i) }

// unsafeBytes returns n bytes at p as a slice.
func unsafeBytes(p unsafe.Pointer, n int) []byte { return unsafe.Slice((*byte)(p), n) }
