package zerocopy

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"unsafe"
)

func TestStringBytes(t *testing.T) {
	tests := []string{"", "a", "hello, world", strings.Repeat("x", 4096)}
	for _, want := range tests {
		b := []byte(want)
		s := String(b)
		if s != want {
			t.Errorf("String(%q) = %q, want %q", want, s, want)
		}
		if len(b) > 0 && !checkViews && unsafe.StringData(s) != &b[0] {
			t.Errorf("String(%q) copied the bytes, want shared memory", want)
		}
		v := Bytes(want)
		if string(v) != want || cap(v) != len(want) {
			t.Errorf("Bytes(%q) = %q (cap %d), want %q (cap %d)", want, v, cap(v), want, len(want))
		}
		if len(want) > 0 && unsafe.SliceData(v) != unsafe.StringData(want) {
			t.Errorf("Bytes(%q) copied the string, want shared memory", want)
		}
	}
	if String(nil) != "" || Bytes("") != nil {
		t.Errorf("String(nil), Bytes(\"\") = %q, %v, want \"\", nil", String(nil), Bytes(""))
	}
}

type point struct {
	X, Y int32
	Tag  [4]uint8
}

type withPointer struct {
	N    uint64
	Next *withPointer
}

type nested struct {
	A [2]struct {
		B uint16
		S string
	}
}

// aligned returns n bytes whose first byte is 8-aligned.
func aligned(n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(make([]uint64, (n+7)/8)))), n)
}

func TestSlice(t *testing.T) {
	buf := aligned(64)
	for i := range buf {
		buf[i] = byte(i)
	}
	tests := []struct {
		name    string
		view    func() (int, error) // returns the view's length
		wantLen int
		wantErr error
		wantMsg string
	}{
		{"uint32", func() (int, error) { v, err := Slice[uint32](buf); return len(v), err }, 16, nil, ""},
		{"uint64 of 8", func() (int, error) { v, err := Slice[uint64](buf[:8]); return len(v), err }, 1, nil, ""},
		{"struct", func() (int, error) { v, err := Slice[point](buf[:36]); return len(v), err }, 3, nil, ""},
		{"empty", func() (int, error) { v, err := Slice[uint64](buf[:0]); return len(v), err }, 0, nil, ""},
		{"empty misaligned", func() (int, error) { v, err := Slice[uint64](buf[1:1]); return len(v), err }, 0, nil, ""},
		{"length", func() (int, error) { v, err := Slice[uint32](buf[:7]); return len(v), err }, 0, ErrLength, "view 7 bytes as []uint32"},
		{"misaligned", func() (int, error) { v, err := Slice[uint32](buf[1:5]); return len(v), err }, 0, ErrAlignment, "alignment 4"},
		{"pointer", func() (int, error) { v, err := Slice[withPointer](buf[:16]); return len(v), err }, 0, ErrType, "withPointer.Next is a ptr"},
		{"nested string", func() (int, error) { v, err := Slice[nested](buf[:32]); return len(v), err }, 0, ErrType, "nested.A[].S is a string"},
		{"bool", func() (int, error) { v, err := Slice[bool](buf[:4]); return len(v), err }, 0, ErrType, "is a bool"},
		{"zero size", func() (int, error) { v, err := Slice[struct{}](buf[:4]); return len(v), err }, 0, ErrType, "size zero"},
		{"slice", func() (int, error) { v, err := Slice[[]byte](buf[:24]); return len(v), err }, 0, ErrType, "is a slice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := tt.view()
			if n != tt.wantLen || !errors.Is(err, tt.wantErr) {
				t.Errorf("Slice(%s) = %d elements, %v; want %d, %v", tt.name, n, err, tt.wantLen, tt.wantErr)
			}
			if tt.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.wantMsg)) {
				t.Errorf("Slice(%s) error = %v, want it to mention %q", tt.name, err, tt.wantMsg)
			}
		})
	}
}

func TestSliceSharesMemory(t *testing.T) {
	buf := aligned(16)
	v, err := Slice[uint32](buf)
	if err != nil {
		t.Fatal(err)
	}
	v[1] = 0x01020304
	if want := []byte{0, 0, 0, 0, 4, 3, 2, 1}; !bytes.Equal(buf[:8], want) { // little-endian hosts
		if !bytes.Equal(buf[4:8], []byte{1, 2, 3, 4}) {
			t.Errorf("Slice[uint32] write v[1] gave bytes %v, want the value in native order", buf[:8])
		}
	}
	back := BytesOf(v)
	if len(back) != 16 || &back[0] != &buf[0] {
		t.Errorf("BytesOf(Slice(buf)) = %d bytes at %p, want 16 at %p", len(back), &back[0], &buf[0])
	}
	if got := BytesOf([]withPointer{{}}); got != nil {
		t.Errorf("BytesOf([]withPointer) = %v, want nil", got)
	}
	if got := BytesOf([]point(nil)); len(got) != 0 {
		t.Errorf("BytesOf(nil) = %v, want empty", got)
	}
}

func TestCheckType(t *testing.T) {
	if err := CheckType[point](); err != nil {
		t.Errorf("CheckType[point]() = %v, want nil", err)
	}
	if err := CheckType[withPointer](); !errors.Is(err, ErrType) {
		t.Errorf("CheckType[withPointer]() = %v, want %v", err, ErrType)
	}
}

func TestViewsDoNotAllocate(t *testing.T) {
	buf := aligned(64)
	s := "some string"
	us := make([]uint32, 8)
	var sink int
	tests := []struct {
		name string
		fn   func()
	}{
		{"String", func() { sink += len(String(buf)) }},
		{"Bytes", func() { sink += len(Bytes(s)) }},
		{"Slice[uint32]", func() { v, _ := Slice[uint32](buf); sink += len(v) }},
		{"Slice[point]", func() { v, _ := Slice[point](buf[:36]); sink += len(v) }},
		{"BytesOf[uint32]", func() { sink += len(BytesOf(us)) }},
		{"BytesOf[point]", func() { sink += len(BytesOf([]point{})) }},
	}
	for _, tt := range tests {
		tt.fn() // fill the type cache
		if checkViews && (tt.name == "String" || tt.name == "Bytes") {
			continue // the check build records views on purpose
		}
		if got := testing.AllocsPerRun(100, tt.fn); got != 0 {
			t.Errorf("%s allocates %v times per call, want 0", tt.name, got)
		}
	}
}

// TestInline builds a caller of every view function with the compiler's -m output and checks that each
// call was inlined. It runs the go command, so it is skipped in -short mode.
func TestInline(t *testing.T) {
	if testing.Short() || checkViews {
		t.Skip("builds with the go command; skipped in -short mode and in the checkviews build")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.CommandContext(t.Context(), gobin, "build", "-o", "/dev/null", "-gcflags=-m", "./testdata/inlinecheck").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, call := range []string{"zerocopy.String", "zerocopy.Bytes", "zerocopy.Slice[go.shape.uint32]", "zerocopy.BytesOf[go.shape.uint32]"} {
		if !strings.Contains(string(out), "inlining call to "+call+"\n") {
			t.Errorf("go build -gcflags=-m output has no %q, want the call inlined:\n%s", "inlining call to "+call, out)
		}
	}
}

// TestCheckViewsBuild runs TestCheckViewsMode in the hotpath_checkviews build, so the check mode is
// tested by the ordinary go test run as well.
func TestCheckViewsBuild(t *testing.T) {
	if checkViews {
		t.Skip("already in the checkviews build")
	}
	if err := CheckViews(); err != nil {
		t.Errorf("CheckViews() in the normal build = %v, want nil", err)
	}
	if testing.Short() {
		t.Skip("builds with the go command; skipped in -short mode")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.CommandContext(t.Context(), gobin, "test", "-tags", "hotpath_checkviews", "-count=1", "-v", "-run", "^TestCheckViewsMode$", ".").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestCheckViewsMode") {
		t.Errorf("go test -tags hotpath_checkviews: %v\n%s", err, out)
	}
}
