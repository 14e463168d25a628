package benchcmp

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzCompare feeds arbitrary bytes as both sides: reading and comparing must never panic, and a
// report must always print.
func FuzzCompare(f *testing.F) {
	f.Add([]byte(results("Sum", "ns/op", 100, 101, 102, 99)), []byte(results("Sum", "ns/op", 120, 121)))
	f.Add([]byte("Unit B/op assume=exact\nBenchmarkA-2 1 0 B/op\n"), []byte("BenchmarkA-2 1 NaN B/op\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		old, err1 := Read(bytes.NewReader(a), "a")
		new, err2 := Read(bytes.NewReader(b), "b")
		if err1 != nil || err2 != nil {
			return
		}
		for _, opt := range []Options{{}, {EqualCounts: true, Threshold: 0.05}} {
			rep, err := Compare(old, new, opt)
			if err != nil {
				if !errors.Is(err, ErrUnequalCounts) && !errors.Is(err, ErrNothingInCommon) {
					t.Fatalf("Compare = %v, want nil, %v or %v", err, ErrUnequalCounts, ErrNothingInCommon)
				}
				continue
			}
			var out bytes.Buffer
			if err := rep.WriteText(&out); err != nil {
				t.Fatalf("WriteText = %v", err)
			}
		}
	})
}
