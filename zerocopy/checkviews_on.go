//go:build hotpath_checkviews

package zerocopy

import (
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"unsafe"
	"weak"
)

// checkViews is true when built with -tags hotpath_checkviews: every String and Bytes view is recorded
// and CheckViews verifies it.
const checkViews = true

// maxViews bounds the registry. When it is full, views that are no longer reachable are pruned first;
// if it is still full the oldest record is dropped and counted, and CheckViews mentions the count.
const maxViews = 1 << 16

type viewRecord struct {
	buf  []byte             // the viewed memory; holding it keeps it from being freed and reused
	sum  uint64             // checksum of buf when the view was made
	live weak.Pointer[byte] // String views: the returned string's bytes; zero for Bytes views
	at   string             // file:line of the caller that made the view
}

var views struct {
	sync.Mutex
	records []viewRecord
	dropped int
}

var viewSeed = maphash.MakeSeed()

func record(buf []byte, live weak.Pointer[byte]) {
	at := "unknown"
	if _, file, line, ok := runtime.Caller(3); ok {
		at = fmt.Sprintf("%s:%d", file, line)
	}
	r := viewRecord{buf: buf, sum: maphash.Bytes(viewSeed, buf), live: live, at: at}
	views.Lock()
	defer views.Unlock()
	if len(views.records) >= maxViews {
		kept := views.records[:0]
		for _, v := range views.records {
			if v.live == (weak.Pointer[byte]{}) || v.live.Value() != nil {
				kept = append(kept, v)
			}
		}
		views.records = kept
		if len(views.records) >= maxViews {
			views.records = append(views.records[:0], views.records[1:]...)
			views.dropped++
		}
	}
	views.records = append(views.records, r)
}

// checkedString returns a copy of b that stands in for the view. The copy lets the checker know when the
// view dies (a weak pointer to it turns nil); b itself is recorded with its checksum, so a change to b
// while the copy lives is exactly the bug a real view would have suffered.
func checkedString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	// At least 16 bytes: smaller pointer-free objects share tiny-allocator blocks, which would keep the
	// copy reachable after the view died.
	c := make([]byte, len(b), max(len(b), 16))
	copy(c, b)
	record(b, weak.Make(&c[0]))
	return unsafe.String(&c[0], len(c))
}

// checkedBytes returns the real shared memory and records its checksum: any write through it is a bug.
func checkedBytes(s string) []byte {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	if len(s) > 0 {
		record(b, weak.Pointer[byte]{})
	}
	return b
}

func checkAllViews() error {
	runtime.GC() // let views that are no longer reachable be collected, so only live ones are checked
	views.Lock()
	defer views.Unlock()
	var errs []error
	kept := views.records[:0]
	for _, v := range views.records {
		stringView := v.live != (weak.Pointer[byte]{})
		if stringView && v.live.Value() == nil {
			continue // the view died before its buffer changed, or its buffer never changed
		}
		if maphash.Bytes(viewSeed, v.buf) != v.sum {
			what := "bytes under a String view"
			if !stringView {
				what = "a string written through a Bytes view"
			}
			errs = append(errs, fmt.Errorf("zerocopy: check view made at %s: %w (%s)", v.at, ErrViewMutated, what))
			continue
		}
		if stringView {
			kept = append(kept, v)
		}
	}
	clear(views.records[len(kept):])
	views.records = kept
	if len(errs) > 0 && views.dropped > 0 {
		errs = append(errs, fmt.Errorf("zerocopy: check views: %d views not checked (registry full at %d)", views.dropped, maxViews))
	}
	return errors.Join(errs...)
}
