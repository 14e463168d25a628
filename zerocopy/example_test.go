package zerocopy_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/hotpath-dev/hotpath/zerocopy"
)

// A map lookup with a short-lived view: no allocation, and the buffer may be reused afterwards.
func ExampleString() {
	counts := map[string]int{"GET": 0, "POST": 0}
	buf := []byte("GET /index.html")
	counts[zerocopy.String(buf[:3])]++ // the compiler does not copy here either; zerocopy makes it explicit
	fmt.Println(counts["GET"])
	// Output: 1
}

// Hand a string to an API that takes []byte and only reads it.
func ExampleBytes() {
	fmt.Println(bytes.IndexByte(zerocopy.Bytes("key=value"), '='))
	// Output: 3
}

// View a packet of uint32 values in place; the errors say why a view is refused. The values are in
// native byte order (this output is from a little-endian machine).
func ExampleSlice() {
	words := make([]uint32, 2) // Go allocates it 4-aligned
	b := zerocopy.BytesOf(words)
	copy(b, []byte{1, 0, 0, 0, 2, 0, 0, 0})
	v, err := zerocopy.Slice[uint32](b)
	fmt.Println(v, err)

	_, err = zerocopy.Slice[uint32](b[:7])
	fmt.Println(errors.Is(err, zerocopy.ErrLength))
	_, err = zerocopy.Slice[uint32](b[1:5])
	fmt.Println(errors.Is(err, zerocopy.ErrAlignment))
	_, err = zerocopy.Slice[*int](b)
	fmt.Println(errors.Is(err, zerocopy.ErrType))
	// Output:
	// [1 2] <nil>
	// true
	// true
	// true
}

// Copy says which path carried the bytes: here two files, so copy_file_range.
func ExampleCopy() {
	dir, _ := os.MkdirTemp("", "zerocopy")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "a"), bytes.Repeat([]byte("x"), 1<<20), 0o600)
	src, _ := os.Open(filepath.Join(dir, "a"))
	defer src.Close()
	dst, _ := os.Create(filepath.Join(dir, "b"))
	defer dst.Close()

	n, path, err := zerocopy.Copy(dst, src)
	fmt.Println(n, path, err)
}

// Logging middleware that keeps sendfile: Wrap passes io.ReaderFrom through, and ServeFile reports the
// path in a header.
func ExampleWrap() {
	files := &zerocopy.FileServer{Header: "X-Copy-Path"}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		files.ServeFile(w, r, "/var/www/big.iso")
	})
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var status int
		var sent int64
		w = zerocopy.Wrap(w, zerocopy.Hooks{
			WriteHeader: func(code int) { status = code },
			Body:        func(n int64, p zerocopy.Path) { sent += n },
		})
		h.ServeHTTP(w, r)
		fmt.Println(r.URL.Path, status, sent)
	})
	_ = logged
}
