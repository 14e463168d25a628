//go:build hotpath_checkviews

package zerocopy

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

var cache = map[string]string{}

// TestCheckViewsMode runs only in the hotpath_checkviews build (TestCheckViewsBuild starts it).
func TestCheckViewsMode(t *testing.T) {
	if err := CheckViews(); err != nil {
		t.Fatalf("CheckViews() before any view = %v, want nil", err)
	}

	// The bug: a view of a pooled buffer is cached, then the buffer is reused for the next request.
	buf := []byte("GET /users")
	cache["last"] = String(buf) // a cached view
	_, _, line, _ := runtime.Caller(0)
	copy(buf, "GET /admin") // buffer reuse
	err := CheckViews()
	if !errors.Is(err, ErrViewMutated) {
		t.Fatalf("CheckViews() after reusing a cached view's buffer = %v, want %v", err, ErrViewMutated)
	}
	if want := "checkviews_test.go:" + itoa(line-1); !strings.Contains(err.Error(), want) {
		t.Errorf("CheckViews() = %q, want it to name %s", err, want)
	}
	delete(cache, "last")

	// The safe use: a short-lived view for a lookup, then reuse. No report.
	buf2 := []byte("key-one")
	m := map[string]int{"key-one": 1}
	if m[String(buf2)] != 1 {
		t.Errorf("map lookup through String failed")
	}
	copy(buf2, "key-two")
	if err := CheckViews(); err != nil {
		t.Errorf("CheckViews() after a dead view's buffer was reused = %v, want nil", err)
	}

	// A write through a Bytes view of a heap string.
	s := strings.Repeat("z", 16)
	Bytes(s)[0] = 'a'
	if err := CheckViews(); !errors.Is(err, ErrViewMutated) || !strings.Contains(err.Error(), "Bytes view") {
		t.Errorf("CheckViews() after writing through Bytes = %v, want %v about a Bytes view", err, ErrViewMutated)
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
