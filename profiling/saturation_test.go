package profiling

import (
	"math"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestHistQuantiles(t *testing.T) {
	h := &metrics.Float64Histogram{
		Buckets: []float64{math.Inf(-1), 0, 1, 2, 4, math.Inf(1)},
		Counts:  []uint64{0, 50, 40, 9, 1},
	}
	prev := []uint64{0, 0, 0, 0, 0}
	tests := []struct {
		name string
		prev []uint64
		want Quantiles
	}{
		// 100 events: p50 is the 50th, at the top of [0,1); p99 the 99th, at
		// the top of [2,4); max the lower bound of the open last bucket.
		{"from zero", prev, Quantiles{P50: 1, P95: 2 + 2*5.0/9, P99: 4, Max: 4, Count: 100}},
		{"delta", []uint64{0, 50, 40, 9, 0}, Quantiles{P50: 4, P95: 4, P99: 4, Max: 4, Count: 1}},
		{"nothing new", h.Counts, Quantiles{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := histQuantiles(h, tt.prev)
			if math.Abs(got.P95-tt.want.P95) > 1e-9 || got.P50 != tt.want.P50 || got.P99 != tt.want.P99 || got.Max != tt.want.Max || got.Count != tt.want.Count {
				t.Errorf("histQuantiles(%v) = %+v, want %+v", tt.prev, got, tt.want)
			}
		})
	}
}

func TestSamplerReadsRuntime(t *testing.T) {
	s := newSampler(ContainerLimits{CPU: 0.5, MemoryBytes: 1 << 40})
	var first, second Saturation
	t0 := time.Now()
	s.read(t0, &first)
	runtime.GC() // at least one GC pause in the interval
	sigBurn(20 * time.Millisecond)
	s.read(t0.Add(100*time.Millisecond), &second)
	checks := []struct {
		name string
		ok   bool
	}{
		{"first sample has no interval values", first.GCPause.Count == 0 && first.CPUUtilization == 0},
		{"goroutines", second.Goroutines >= 2},
		{"heap live", second.HeapLive > 0 && second.HeapGoal >= second.HeapLive},
		{"gc pause counted", second.GCPause.Count > 0 && second.GCPause.Max > 0},
		{"gomaxprocs", second.GOMAXPROCS == runtime.GOMAXPROCS(0)},
		{"memory limit is the container's", second.MemoryLimit == 1<<40 && second.MemoryHeadroom == 1<<40-second.MemoryTotal},
		{"cpu used", second.CPU.User+second.CPU.GC > 0 && second.CPUUtilization > 0},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("sampler.read(): %s: got %+v", c.name, second)
		}
	}
	// No GC in between: the runtime has accounted no new CPU time, so the
	// last span's rates carry over instead of dropping to zero.
	var third Saturation
	s.read(t0.Add(200*time.Millisecond), &third)
	if third.CPU != second.CPU || !third.CPUAsOf.Equal(second.CPUAsOf) {
		t.Errorf("sampler.read() without a GC: CPU %+v as of %v, want %+v as of %v", third.CPU, third.CPUAsOf, second.CPU, second.CPUAsOf)
	}
}

// The sampler runs every second forever: after the first read it must not allocate.
func TestSamplerDoesNotAllocate(t *testing.T) {
	s := newSampler(ContainerLimits{})
	var out Saturation
	now := time.Now()
	s.read(now, &out)
	allocs := testing.AllocsPerRun(100, func() {
		now = now.Add(time.Second)
		s.read(now, &out)
	})
	if allocs != 0 {
		t.Errorf("sampler.read() allocs = %v, want 0", allocs)
	}
}

// BenchmarkSample measures one sample of the runtime: the monitor's whole
// cost per interval without HTTP signals.
func BenchmarkSample(b *testing.B) {
	s := newSampler(ContainerLimits{})
	var out Saturation
	now := time.Now()
	s.read(now, &out)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		s.read(now, &out)
	}
}

func sigBurn(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}
