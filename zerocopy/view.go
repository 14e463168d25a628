package zerocopy

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"
)

// String returns a string that shares b's memory: no copy, no allocation.
//
// The contract: the bytes of b must not change for as long as the string (or any substring of it, or any
// map key or struct field it was stored in) is reachable. Go strings are immutable by definition; a string
// whose bytes change breaks map lookups, switch statements and every cache that stored it.
//
// Safe uses keep the string short-lived: a map lookup m[String(b)], a comparison, a strconv.ParseInt of a
// field that is not kept. Storing the result is safe only when b is never written again.
//
// A real bug to learn from: a server library converted request bytes to strings with exactly this
// conversion and cached them; the bytes came from a pooled buffer that the next request reused, so cached
// strings changed under their readers. Build your tests with -tags hotpath_checkviews to catch that: see
// CheckViews.
//
//hotpath:inline
func String(b []byte) string {
	if checkViews {
		return checkedString(b)
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Bytes returns a byte slice that shares s's memory: no copy, no allocation.
//
// The contract: the result must never be written. The bytes of a string literal live in read-only
// memory, so a write faults and kills the process; the bytes of any other string are shared by every copy
// of that string, so a write changes them all. Use Bytes to hand a string to an API that takes []byte and
// only reads it, such as hash.Hash.Write or bytes.Index. Its capacity equals its length, so an append
// copies instead of writing past the string.
//
//hotpath:inline
func Bytes(s string) []byte {
	if checkViews {
		return checkedBytes(s)
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Slice returns b viewed as a slice of T, sharing b's memory: writes through either are seen by both.
//
// T must be plain data: fixed size, no pointers (pointer, slice, string, map, chan, func, interface) and
// no bool, at any depth. The view has len(b)/sizeof(T) elements. Errors wrap ErrType for such a T,
// ErrLength when len(b) is not a multiple of sizeof(T) and ErrAlignment when b's first byte is not
// aligned for T; an empty b gives a nil slice.
//
// # Byte order
//
// The view uses the machine's native byte order (encoding/binary.NativeEndian: little-endian on amd64,
// arm64, riscv64). Bytes that cross machines or reach disk need a fixed order: write them with
// encoding/binary, or check binary.NativeEndian at startup.
//
//hotpath:inline
func Slice[T any](b []byte) ([]T, error) {
	p, n, err := elems((*T)(nil), b)
	return unsafe.Slice((*T)(p), n), err
}

// BytesOf returns the memory of s as bytes, sharing it: writes through either are seen by both. It returns
// nil when T is not plain data (see Slice and CheckType): exposing the bytes of a pointer would let a
// write corrupt the heap. The bytes are in native byte order.
//
//hotpath:inline
func BytesOf[T any](s []T) []byte {
	p, n := byteLen((*T)(nil), unsafe.Pointer(unsafe.SliceData(s)), len(s))
	return unsafe.Slice((*byte)(p), n)
}

// CheckType reports whether T can be viewed by Slice and BytesOf: nil for plain data, otherwise an error
// wrapping ErrType that names the field at fault. Call it once where the type is chosen, for example in a
// test, to turn a nil from BytesOf into a build failure.
func CheckType[T any]() error {
	return typeError(reflect.TypeFor[T]())
}

// elems validates one Slice call and returns the base and the number of elements, or nil and 0. ptrT is
// a nil *T: taking the reflect work here keeps Slice within the inlining budget.
func elems(ptrT any, b []byte) (unsafe.Pointer, int, error) {
	t := reflect.TypeOf(ptrT).Elem()
	if err := typeError(t); err != nil {
		return nil, 0, err
	}
	size, align := t.Size(), uintptr(t.Align())
	if uintptr(len(b))%size != 0 {
		return nil, 0, fmt.Errorf("zerocopy: view %d bytes as []%s: %w (%d)", len(b), t, ErrLength, size)
	}
	base := unsafe.Pointer(unsafe.SliceData(b))
	if len(b) == 0 {
		return nil, 0, nil
	}
	if uintptr(base)%align != 0 {
		return nil, 0, fmt.Errorf("zerocopy: view %d bytes as []%s: %w (address %#x, alignment %d)", len(b), t, ErrAlignment, uintptr(base), align)
	}
	return base, int(uintptr(len(b)) / size), nil
}

// byteLen returns the base and length of BytesOf's result: n elements of T at p, or nil when T is not
// plain data.
func byteLen(ptrT any, p unsafe.Pointer, n int) (unsafe.Pointer, int) {
	t := reflect.TypeOf(ptrT).Elem()
	if typeError(t) != nil {
		return nil, 0
	}
	return p, n * int(t.Size())
}

// typeErrors caches the verdict per type: the walk over struct fields allocates, the lookup does not.
// It holds one entry per distinct T a program instantiates Slice or BytesOf with, so it is bounded by the
// program's types.
var typeErrors sync.Map // reflect.Type → error (nil error stored as errOK)

var errOK = fmt.Errorf("ok")

func typeError(t reflect.Type) error {
	switch t.Kind() { // fast path for the common element types, no map lookup
	case reflect.Uint8, reflect.Int8, reflect.Uint16, reflect.Int16, reflect.Uint32, reflect.Int32,
		reflect.Uint64, reflect.Int64, reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128,
		reflect.Uint, reflect.Int, reflect.Uintptr:
		return nil
	}
	if v, ok := typeErrors.Load(t); ok {
		if v.(error) == errOK {
			return nil
		}
		return v.(error)
	}
	err := plainData(t, t.String())
	if err == nil {
		typeErrors.Store(t, errOK)
	} else {
		err = fmt.Errorf("zerocopy: view as []%s: %w: %v", t, ErrType, err)
		typeErrors.Store(t, err)
	}
	return err
}

// plainData walks t and says which part of it is not plain data. where names the part for the message.
func plainData(t reflect.Type, where string) error {
	if t.Size() == 0 {
		return fmt.Errorf("%s has size zero", where)
	}
	switch t.Kind() {
	case reflect.Uint8, reflect.Int8, reflect.Uint16, reflect.Int16, reflect.Uint32, reflect.Int32,
		reflect.Uint64, reflect.Int64, reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128,
		reflect.Uint, reflect.Int, reflect.Uintptr:
		return nil
	case reflect.Bool:
		return fmt.Errorf("%s is a bool (only 0 and 1 are valid bytes)", where)
	case reflect.Array:
		return plainData(t.Elem(), where+"[]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type.Size() == 0 {
				continue // zero-size fields (such as [0]func() guards) hold nothing
			}
			if err := plainData(f.Type, where+"."+f.Name); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("%s is a %s (holds a pointer)", where, t.Kind())
	}
}

// CheckViews verifies the views made so far, in programs built with -tags hotpath_checkviews; in normal
// builds it does nothing and returns nil.
//
// In the check build, String returns a private copy of the bytes and records the original buffer with a
// checksum and the caller's file:line; Bytes records the string's memory the same way. CheckViews runs a
// garbage collection, then reports every String view that is still reachable while its buffer has changed,
// and every string that was written through a Bytes view. Each report wraps ErrViewMutated and names
// where the view was made. Views that died before their buffer was reused are not reported, so reusing a
// buffer after a short-lived view is not a false alarm. The record is bounded (65536 views).
//
// Call it at the end of a test, or once after m.Run in TestMain:
//
//	t.Cleanup(func() {
//		if err := zerocopy.CheckViews(); err != nil {
//			t.Error(err)
//		}
//	})
func CheckViews() error {
	return checkAllViews()
}
