package profiling

import (
	"math"
	"runtime/metrics"
	"time"
)

// Quantiles summarises one latency distribution over one sampling interval,
// in seconds. Values are interpolated inside the histogram bucket that holds
// them, so their error is bounded by the bucket width (the runtime's latency
// buckets are about 12% wide, hotpath's HTTP buckets 25%).
type Quantiles struct {
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95,omitempty"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Count uint64  `json:"count"`
}

// CPUClasses is CPU time per second of wall time (cores) spent in each class,
// as the Go runtime accounts it (/cpu/classes/...). Idle
// is time when a P had nothing to run; User is everything that is not GC,
// scavenging or idle.
type CPUClasses struct {
	User     float64 `json:"user"`
	GC       float64 `json:"gc"`
	Scavenge float64 `json:"scavenge"`
	Idle     float64 `json:"idle"`
}

// Saturation is one sample of how close the Go runtime is to its limits.
// Interval-based fields (latency quantiles, CPU) cover the time since the
// previous sample; the others are gauges read at Time.
type Saturation struct {
	// SchedLatency is the time runnable goroutines waited for a thread
	// (/sched/latencies:seconds): Go's event-loop delay.
	SchedLatency Quantiles `json:"sched_latency"`
	// GCPause is the stop-the-world time of GC pauses (/sched/pauses/total/gc:seconds).
	GCPause Quantiles `json:"gc_pause"`
	// GCCPUFraction is GC CPU time over all CPU time available to the runtime
	// (GOMAXPROCS × wall), 0..1.
	GCCPUFraction float64 `json:"gc_cpu_fraction"`
	// CPU is CPU time by class in cores. The runtime accounts CPU classes at
	// each GC cycle only, so CPU, GCCPUFraction and CPUUtilization are rates
	// over the span between the last two GC cycles; CPUAsOf is when that
	// span was first seen (zero before the first GC). The runtime forces a
	// GC at least every two minutes, which bounds how stale they can be.
	CPU     CPUClasses `json:"cpu"`
	CPUAsOf time.Time  `json:"cpu_as_of,omitzero"`
	// CPUUtilization is busy cores (User+GC+Scavenge) over the cores this
	// process may use: the container quota, or GOMAXPROCS without one. 0..1.
	CPUUtilization float64 `json:"cpu_utilization"`
	// Goroutines is the live goroutine count; GoroutinesRunnable those
	// waiting for a thread.
	Goroutines         uint64 `json:"goroutines"`
	GoroutinesRunnable uint64 `json:"goroutines_runnable"`
	// HeapLive is the heap marked live by the last GC; HeapGoal the size at
	// which the next GC starts.
	HeapLive uint64 `json:"heap_live"`
	HeapGoal uint64 `json:"heap_goal"`
	// MemoryTotal is all memory mapped by the Go runtime (/memory/classes/total).
	MemoryTotal uint64 `json:"memory_total"`
	// MemoryLimit is the smaller of GOMEMLIMIT and the container limit, 0 if
	// neither is set. MemoryHeadroom is MemoryLimit - MemoryTotal (0 when over);
	// MemoryUsed is MemoryTotal / MemoryLimit.
	MemoryLimit    uint64  `json:"memory_limit"`
	MemoryHeadroom uint64  `json:"memory_headroom"`
	MemoryUsed     float64 `json:"memory_used"`
	// GOMAXPROCS at sampling time.
	GOMAXPROCS int `json:"gomaxprocs"`
}

// The runtime/metrics read by the sampler, in the order of sampler.samples.
const (
	mSchedLat = iota
	mGCPauses
	mCPUGC
	mCPUScav
	mCPUIdle
	mCPUTotal
	mGoroutines
	mRunnable
	mHeapLive
	mHeapGoal
	mMemTotal
	mMemLimit
	mMaxProcs
	numMetrics
)

var metricNames = [numMetrics]string{
	mSchedLat:   "/sched/latencies:seconds",
	mGCPauses:   "/sched/pauses/total/gc:seconds",
	mCPUGC:      "/cpu/classes/gc/total:cpu-seconds",
	mCPUScav:    "/cpu/classes/scavenge/total:cpu-seconds",
	mCPUIdle:    "/cpu/classes/idle:cpu-seconds",
	mCPUTotal:   "/cpu/classes/total:cpu-seconds",
	mGoroutines: "/sched/goroutines:goroutines",
	mRunnable:   "/sched/goroutines/runnable:goroutines",
	mHeapLive:   "/gc/heap/live:bytes",
	mHeapGoal:   "/gc/heap/goal:bytes",
	mMemTotal:   "/memory/classes/total:bytes",
	mMemLimit:   "/gc/gomemlimit:bytes",
	mMaxProcs:   "/sched/gomaxprocs:threads",
}

// sampler reads runtime/metrics into a Saturation. It keeps the previous
// cumulative values to turn histograms and CPU counters into per-interval
// numbers. After the first read it does not allocate. Not safe for
// concurrent use: the monitor goroutine owns it.
type sampler struct {
	samples   [numMetrics]metrics.Sample
	prevSched []uint64
	prevPause []uint64
	prevCPU   [mCPUTotal + 1]float64
	// The CPU rates of the last accounted span and when it was first seen.
	lastCPU    CPUClasses
	lastGCFrac float64
	lastUtil   float64
	cpuAsOf    time.Time
	prevTime   time.Time
	limits     ContainerLimits
	primed     bool
}

func newSampler(limits ContainerLimits) *sampler {
	s := &sampler{limits: limits}
	for i := range s.samples {
		s.samples[i].Name = metricNames[i]
	}
	return s
}

// read samples the runtime at now into out. The first call only primes the
// deltas: its interval fields are zero.
func (s *sampler) read(now time.Time, out *Saturation) {
	metrics.Read(s.samples[:])
	*out = Saturation{}
	out.Goroutines = s.uint(mGoroutines)
	out.GoroutinesRunnable = s.uint(mRunnable)
	out.HeapLive = s.uint(mHeapLive)
	out.HeapGoal = s.uint(mHeapGoal)
	out.MemoryTotal = s.uint(mMemTotal)
	out.GOMAXPROCS = int(s.uint(mMaxProcs))
	s.memory(out)

	sched := s.hist(mSchedLat)
	pause := s.hist(mGCPauses)
	if s.primed && sched != nil {
		out.SchedLatency = histQuantiles(sched, s.prevSched)
	}
	if s.primed && pause != nil {
		out.GCPause = histQuantiles(pause, s.prevPause)
	}
	s.prevSched = copyCounts(s.prevSched, sched)
	s.prevPause = copyCounts(s.prevPause, pause)
	s.cpu(now, out)
	s.prevTime, s.primed = now, true
}

func (s *sampler) uint(i int) uint64 {
	if s.samples[i].Value.Kind() != metrics.KindUint64 {
		return 0 // not supported by this Go version
	}
	return s.samples[i].Value.Uint64()
}

func (s *sampler) float(i int) float64 {
	if s.samples[i].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s.samples[i].Value.Float64()
}

func (s *sampler) hist(i int) *metrics.Float64Histogram {
	if s.samples[i].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s.samples[i].Value.Float64Histogram()
}

func (s *sampler) memory(out *Saturation) {
	limit := s.limits.MemoryBytes
	if gl := s.uint(mMemLimit); gl > 0 && gl < math.MaxInt64 && (limit == 0 || gl < limit) {
		limit = gl
	}
	out.MemoryLimit = limit
	if limit == 0 {
		return
	}
	if out.MemoryTotal < limit {
		out.MemoryHeadroom = limit - out.MemoryTotal
	}
	out.MemoryUsed = float64(out.MemoryTotal) / float64(limit)
}

// cpu fills the CPU fields. The runtime accounts CPU classes only at each
// GC's stop-the-world (runtime/metrics reads a snapshot), so the values are
// rates over the span between the last two GC cycles, carried over until the
// next one (at most two minutes: the runtime forces a GC that often). The
// span needs no clock: /cpu/classes/total grows by GOMAXPROCS × wall time.
func (s *sampler) cpu(now time.Time, out *Saturation) {
	var cur [mCPUTotal + 1]float64
	for i := mCPUGC; i <= mCPUTotal; i++ {
		cur[i] = s.float(i)
	}
	prev := s.prevCPU
	total := cur[mCPUTotal] - prev[mCPUTotal]
	if s.primed && total > 0 && out.GOMAXPROCS > 0 {
		gc, scav, idle := cur[mCPUGC]-prev[mCPUGC], cur[mCPUScav]-prev[mCPUScav], cur[mCPUIdle]-prev[mCPUIdle]
		user := max(total-gc-scav-idle, 0)
		span := total / float64(out.GOMAXPROCS) // wall seconds between the two snapshots
		s.lastCPU = CPUClasses{User: user / span, GC: gc / span, Scavenge: scav / span, Idle: idle / span}
		s.lastGCFrac = gc / total
		cores := float64(out.GOMAXPROCS)
		if s.limits.CPU > 0 && s.limits.CPU < cores {
			cores = s.limits.CPU
		}
		s.lastUtil = (user + gc + scav) / span / cores
		s.cpuAsOf = now
	}
	if !s.primed || total > 0 {
		s.prevCPU = cur
	}
	out.CPU, out.GCCPUFraction, out.CPUUtilization, out.CPUAsOf = s.lastCPU, s.lastGCFrac, s.lastUtil, s.cpuAsOf
}

// copyCounts copies h's counts into dst, reusing dst's storage.
func copyCounts(dst []uint64, h *metrics.Float64Histogram) []uint64 {
	if h == nil {
		return dst[:0]
	}
	return append(dst[:0], h.Counts...)
}

// histQuantiles summarises the difference between h and the previous counts.
func histQuantiles(h *metrics.Float64Histogram, prev []uint64) Quantiles {
	var q Quantiles
	if len(prev) != len(h.Counts) {
		prev = nil
	}
	delta := func(i int) uint64 {
		if prev == nil {
			return h.Counts[i]
		}
		return h.Counts[i] - prev[i]
	}
	top := -1
	for i := range h.Counts {
		if d := delta(i); d > 0 {
			q.Count += d
			top = i
		}
	}
	if q.Count == 0 {
		return q
	}
	q.Max = finiteBound(h.Buckets, top+1, top)
	bounds := func(i int) (float64, float64) {
		return finiteBound(h.Buckets, i, i), finiteBound(h.Buckets, i+1, i)
	}
	q.P50 = quantile(len(h.Counts), delta, bounds, q.Count, 0.50)
	q.P95 = quantile(len(h.Counts), delta, bounds, q.Count, 0.95)
	q.P99 = quantile(len(h.Counts), delta, bounds, q.Count, 0.99)
	return q
}

// finiteBound returns b[i], or the nearest finite boundary of bucket `bucket`
// when b[i] is infinite (the runtime's first and last buckets are open).
func finiteBound(b []float64, i, bucket int) float64 {
	v := b[i]
	if !math.IsInf(v, 0) {
		return v
	}
	if math.IsInf(v, 1) {
		return max(b[bucket], 0)
	}
	return 0
}

// quantile finds the q-quantile of n buckets holding total events, linearly
// interpolated inside the bucket that holds it.
func quantile(n int, count func(int) uint64, bounds func(int) (lo, hi float64), total uint64, q float64) float64 {
	rank := q * float64(total)
	var seen float64
	for i := range n {
		c := float64(count(i))
		if c == 0 {
			continue
		}
		if seen+c >= rank {
			lo, hi := bounds(i)
			return lo + (hi-lo)*(rank-seen)/c
		}
		seen += c
	}
	return 0
}
