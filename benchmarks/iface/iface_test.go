package iface

import (
	"testing"
)

// calls is the number of interface calls per benchmark op: enough to amortise the loop around them,
// small enough (16 KiB of interface values) to stay in L1/L2 so dispatch, not memory, is measured.
const calls = 1024

var sink float64

func BenchmarkCall(b *testing.B) {
	direct := buildDirect(calls)
	mono, poly, mega := build(calls, 1), build(calls, 3), build(calls, 8)
	cases := []struct {
		name string
		sum  func() float64
	}{
		{"kind=direct", func() float64 { return sumDirect(direct) }},
		{"kind=mono", func() float64 { return sumMono(mono) }},
		{"kind=poly3", func() float64 { return sumPoly(poly) }},
		{"kind=mega8", func() float64 { return sumMega(mega) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			run := c.sum
			for b.Loop() {
				sink = run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/calls, "ns/call")
		})
	}
}
