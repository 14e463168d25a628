package shapes

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/hotpath-dev/hotpath/benchmarks"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	sinkF float64
	sinkI int64
)

// records is the record count for struct-vs-map: 1024 records is a typical page of results.
const records = 1024

func BenchmarkRecord(b *testing.B) {
	b.Run("shape=struct", func(b *testing.B) {
		os := newOrders(records)
		b.ReportAllocs()
		for b.Loop() {
			sinkF = totalStruct(os)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/records, "ns/record")
	})
	b.Run("shape=map", func(b *testing.B) {
		rs := newRecords(records)
		b.ReportAllocs()
		for b.Loop() {
			sinkF = totalMap(rs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/records, "ns/record")
	})
}

func TestTotalsAgree(t *testing.T) {
	s, m := totalStruct(newOrders(records)), totalMap(newRecords(records))
	if s != m || s == 0 {
		t.Errorf("totalStruct = %v, totalMap = %v, want equal and non-zero", s, m)
	}
}

// BenchmarkFieldOrder walks a slice of padded and of packed records holding the same data, for the
// shared sizes (the padded slice's size) plus 64 MiB, well past any last-level cache here.
func BenchmarkFieldOrder(b *testing.B) {
	sizes := append(append([]benchmarks.Size(nil), benchmarks.Sizes...), benchmarks.Size{Name: "64MiB", Bytes: 64 << 20})
	for _, sz := range sizes {
		n := sz.Bytes / int(unsafe.Sizeof(padded{}))
		b.Run(fmt.Sprintf("size=%s/layout=padded", sz.Name), func(b *testing.B) {
			xs := make([]padded, n)
			for i := range xs {
				xs[i] = padded{A: i%2 == 0, B: int64(i), D: 1, F: 2}
			}
			b.ReportAllocs()
			for b.Loop() {
				sinkI = sumPadded(xs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
		})
		b.Run(fmt.Sprintf("size=%s/layout=packed", sz.Name), func(b *testing.B) {
			xs := make([]packed, n)
			for i := range xs {
				xs[i] = packed{A: i%2 == 0, B: int64(i), D: 1, F: 2}
			}
			b.ReportAllocs()
			for b.Loop() {
				sinkI = sumPacked(xs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
		})
	}
}

func TestLayoutSizes(t *testing.T) {
	if got := unsafe.Sizeof(padded{}); got != 40 {
		t.Errorf("Sizeof(padded) = %d, want 40", got)
	}
	if got := unsafe.Sizeof(packed{}); got != 24 {
		t.Errorf("Sizeof(packed) = %d, want 24", got)
	}
	var a apart
	if d := uintptr(unsafe.Pointer(&a.b)) - uintptr(unsafe.Pointer(&a.a)); d != 128 {
		t.Errorf("apart: b - a = %d bytes, want 128", d)
	}
}

// BenchmarkFalseSharing has two goroutines each add adds times to its own counter per op; the
// counters share a cache line or sit 128 bytes apart. With one CPU there is no sharing to measure.
// adds is large enough that starting the two goroutines is under 1% of an op.
const adds = 1 << 16

func BenchmarkFalseSharing(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2")
	}
	var s shared
	var a apart
	cases := []struct {
		name string
		x, y *atomic.Int64
	}{
		{"layout=same-line", &s.a, &s.b},
		{"layout=padded", &a.a, &a.b},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				twoWriters(c.x, c.y, adds)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/adds, "ns/add")
		})
	}
}

// twoWriters runs two goroutines that each add n times to their own counter and waits for both.
func twoWriters(x, y *atomic.Int64, n int) {
	var wg sync.WaitGroup
	for _, c := range []*atomic.Int64{x, y} {
		wg.Go(func() {
			for range n {
				c.Add(1)
			}
		})
	}
	wg.Wait()
}
