package profiling

import (
	"context"
	"io"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/hotpath-dev/hotpath/examples/service/app"
	"github.com/hotpath-dev/hotpath/profiling"
)

var order = app.Order{Customer: "ada", Items: []app.Item{{SKU: "a", Quantity: 12, Cents: 150}, {SKU: "b", Quantity: 1, Cents: 999}}}

// BenchmarkCPUProfilerOn measures what the running CPU profiler adds to the service's hot function, in
// one process: compare the two sub-benchmarks with benchstat. hotpath runs the CPU profiler for
// DefaultCPUDuration of every DefaultPeriod, so its average share of this cost is 1/6.
func BenchmarkCPUProfilerOn(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "cpu-profiler=off"
		if on {
			name = "cpu-profiler=on"
		}
		b.Run(name, func(b *testing.B) {
			if on {
				if err := pprof.StartCPUProfile(io.Discard); err != nil {
					b.Skip("cpu profiler in use (run without -cpuprofile)")
				}
				defer pprof.StopCPUProfile()
			}
			b.ReportAllocs()
			for b.Loop() {
				app.PriceOrder(order)
			}
		})
	}
}

// BenchmarkWindow measures the profiler's own work to close one window of the snapshot kinds (read,
// diff and encode the heap and goroutine profiles of this process), and reports it as a share of the
// default one-minute period.
func BenchmarkWindow(b *testing.B) {
	p, err := profiling.Start(profiling.Config{NoStore: true, Kinds: []profiling.Kind{profiling.KindHeap, profiling.KindGoroutine}, Period: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Stop(context.Background())
	ctx := context.Background()
	for b.Loop() {
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	perWindow := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(100*perWindow/float64(profiling.DefaultPeriod), "%-of-period")
}
