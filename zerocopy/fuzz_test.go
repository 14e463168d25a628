package zerocopy

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"
)

// FuzzSlice views arbitrary bytes at arbitrary offsets and checks every outcome against the rules: a
// view has exactly len/size elements over the same memory and round-trips through BytesOf; an error is
// the one sentinel the length and alignment call for.
func FuzzSlice(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(0))
	f.Add([]byte{1, 2, 3}, uint8(1))
	f.Add([]byte{}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, off uint8) {
		buf := aligned(len(data) + 8)
		b := buf[int(off)%8 : int(off)%8+len(data)]
		copy(b, data)
		checkView[uint16](t, b)
		checkView[uint32](t, b)
		checkView[uint64](t, b)
		checkView[point](t, b)
		checkView[[3]uint8](t, b)
	})
}

func checkView[T any](t *testing.T, b []byte) {
	t.Helper()
	var zero T
	size, align := int(unsafe.Sizeof(zero)), uintptr(unsafe.Alignof(zero))
	v, err := Slice[T](b)
	switch {
	case len(b)%size != 0:
		if !errors.Is(err, ErrLength) {
			t.Fatalf("Slice[%T](%d bytes) error = %v, want %v", zero, len(b), err, ErrLength)
		}
	case len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%align != 0:
		if !errors.Is(err, ErrAlignment) {
			t.Fatalf("Slice[%T](misaligned) error = %v, want %v", zero, err, ErrAlignment)
		}
	case err != nil:
		t.Fatalf("Slice[%T](%d bytes) error = %v, want nil", zero, len(b), err)
	case len(v) != len(b)/size:
		t.Fatalf("Slice[%T](%d bytes) = %d elements, want %d", zero, len(b), len(v), len(b)/size)
	case len(v) > 0 && unsafe.Pointer(&v[0]) != unsafe.Pointer(&b[0]):
		t.Fatalf("Slice[%T] does not share memory", zero)
	case !bytes.Equal(BytesOf(v), b):
		t.Fatalf("BytesOf(Slice[%T](b)) = %v, want %v", zero, BytesOf(v), b)
	}
	if err != nil && v != nil {
		t.Fatalf("Slice[%T] returned %d elements with error %v, want nil", zero, len(v), err)
	}
}
