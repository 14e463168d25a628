package profiling

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// promDescs are the Prometheus names. Interval statistics (latency
// quantiles, CPU cores) are gauges of the last sampling interval; counts are
// counters.
type promDescs struct {
	// the monitor's
	descSchedLat, descGCPause, descGCCPU, descCPU, descCPUUtil, descGoroutines, descHeap, descMemory *prometheus.Desc
	descLimitCPU, descLimitMem, descFirings, descSuppressed, descCaptures                            *prometheus.Desc
	// the golden signals'
	descHTTPDur, descHTTPErrors, descHTTPPanics, descHTTPInFlight, descHTTPOverflow *prometheus.Desc
}

// descs builds the descriptions on first use, not at package init.
var descs = sync.OnceValue(func() *promDescs {
	return &promDescs{
		descSchedLat:     prometheus.NewDesc("hotpath_sched_latency_seconds", "Time runnable goroutines waited for a thread in the last interval (Go's event-loop delay), by statistic.", []string{"stat"}, nil),
		descGCPause:      prometheus.NewDesc("hotpath_gc_pause_seconds", "Stop-the-world GC pause time in the last interval, by statistic.", []string{"stat"}, nil),
		descGCCPU:        prometheus.NewDesc("hotpath_gc_cpu_fraction", "GC CPU time over all CPU time available to the runtime in the last interval.", nil, nil),
		descCPU:          prometheus.NewDesc("hotpath_cpu_cores", "CPU time per second of wall time in the last interval, by runtime class.", []string{"class"}, nil),
		descCPUUtil:      prometheus.NewDesc("hotpath_cpu_utilization_ratio", "Busy cores over the cores the process may use (container quota or GOMAXPROCS).", nil, nil),
		descGoroutines:   prometheus.NewDesc("hotpath_goroutines", "Live goroutines, by state (all, runnable).", []string{"state"}, nil),
		descHeap:         prometheus.NewDesc("hotpath_heap_bytes", "Heap marked live by the last GC (live) and the size that starts the next GC (goal).", []string{"kind"}, nil),
		descMemory:       prometheus.NewDesc("hotpath_memory_bytes", "Memory mapped by the Go runtime (total), the effective limit (limit: GOMEMLIMIT or container) and the room left (headroom).", []string{"kind"}, nil),
		descLimitCPU:     prometheus.NewDesc("hotpath_container_cpu_limit_cores", "CPU quota of the process's cgroup; 0 means none.", nil, nil),
		descLimitMem:     prometheus.NewDesc("hotpath_container_memory_limit_bytes", "Memory limit of the process's cgroup; 0 means none.", nil, nil),
		descFirings:      prometheus.NewDesc("hotpath_trigger_firings_total", "Times a trigger rule fired a capture.", []string{"rule"}, nil),
		descSuppressed:   prometheus.NewDesc("hotpath_trigger_suppressed_total", "Times a trigger rule matched but did not fire, by reason (cooldown, cap).", []string{"rule", "reason"}, nil),
		descCaptures:     prometheus.NewDesc("hotpath_trigger_captures", "Captures held in the list, and those dropped from it or failed entirely.", []string{"state"}, nil),
		descHTTPDur:      prometheus.NewDesc("hotpath_http_request_duration_seconds", "Time to serve a request, by route.", []string{"route"}, nil),
		descHTTPErrors:   prometheus.NewDesc("hotpath_http_errors_total", "Requests that failed (5xx status or panic), by route.", []string{"route"}, nil),
		descHTTPPanics:   prometheus.NewDesc("hotpath_http_panics_total", "Requests whose handler panicked, by route.", []string{"route"}, nil),
		descHTTPInFlight: prometheus.NewDesc("hotpath_http_in_flight_requests", "Requests being served, by route.", []string{"route"}, nil),
		descHTTPOverflow: prometheus.NewDesc("hotpath_http_route_overflow_total", "Requests recorded under route \"other\" because SignalsConfig.MaxRoutes was reached.", nil, nil),
	}
})

// Collector returns the monitor's metrics as a prometheus.Collector, to
// register on a registry of the caller's (hotpath never uses the default
// registry). Values are those of the latest sample.
func (m *Monitor) Collector() prometheus.Collector { return monitorCollector{m} }

type monitorCollector struct{ m *Monitor }

func (c monitorCollector) Describe(ch chan<- *prometheus.Desc) {
	ds := descs()
	for _, d := range []*prometheus.Desc{ds.descSchedLat, ds.descGCPause, ds.descGCCPU, ds.descCPU, ds.descCPUUtil, ds.descGoroutines,
		ds.descHeap, ds.descMemory, ds.descLimitCPU, ds.descLimitMem, ds.descFirings, ds.descSuppressed, ds.descCaptures} {
		ch <- d
	}
}

func (c monitorCollector) Collect(ch chan<- prometheus.Metric) {
	ds := descs()
	p, _ := c.m.Latest()
	s := &p.Saturation
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	quantiles := func(d *prometheus.Desc, q Quantiles) {
		g(d, q.P50, "p50")
		g(d, q.P99, "p99")
		g(d, q.Max, "max")
	}
	quantiles(ds.descSchedLat, s.SchedLatency)
	quantiles(ds.descGCPause, s.GCPause)
	g(ds.descGCCPU, s.GCCPUFraction)
	g(ds.descCPU, s.CPU.User, "user")
	g(ds.descCPU, s.CPU.GC, "gc")
	g(ds.descCPU, s.CPU.Scavenge, "scavenge")
	g(ds.descCPU, s.CPU.Idle, "idle")
	g(ds.descCPUUtil, s.CPUUtilization)
	g(ds.descGoroutines, float64(s.Goroutines), "all")
	g(ds.descGoroutines, float64(s.GoroutinesRunnable), "runnable")
	g(ds.descHeap, float64(s.HeapLive), "live")
	g(ds.descHeap, float64(s.HeapGoal), "goal")
	g(ds.descMemory, float64(s.MemoryTotal), "total")
	g(ds.descMemory, float64(s.MemoryLimit), "limit")
	g(ds.descMemory, float64(s.MemoryHeadroom), "headroom")
	g(ds.descLimitCPU, c.m.limits.CPU)
	g(ds.descLimitMem, float64(c.m.limits.MemoryBytes))
	for _, r := range c.m.Rules() {
		ch <- prometheus.MustNewConstMetric(ds.descFirings, prometheus.CounterValue, float64(r.Fired), r.Rule)
		ch <- prometheus.MustNewConstMetric(ds.descSuppressed, prometheus.CounterValue, float64(r.Cooldown), r.Rule, "cooldown")
		ch <- prometheus.MustNewConstMetric(ds.descSuppressed, prometheus.CounterValue, float64(r.Capped), r.Rule, "cap")
	}
	held, dropped, failed := c.m.cap.counts()
	g(ds.descCaptures, float64(held), "held")
	g(ds.descCaptures, float64(dropped), "dropped")
	g(ds.descCaptures, float64(failed), "failed")
}

// Collector returns the golden signals as a prometheus.Collector: per route,
// a latency histogram (buckets at powers of two from ~1 µs to ~34 s), error
// and panic counters and the in-flight gauge. Values are read live from the
// counters, independent of any Monitor.
func (s *Signals) Collector() prometheus.Collector { return signalsCollector{s} }

type signalsCollector struct{ s *Signals }

func (c signalsCollector) Describe(ch chan<- *prometheus.Desc) {
	ds := descs()
	for _, d := range []*prometheus.Desc{ds.descHTTPDur, ds.descHTTPErrors, ds.descHTTPPanics, ds.descHTTPInFlight, ds.descHTTPOverflow} {
		ch <- d
	}
}

func (c signalsCollector) Collect(ch chan<- prometheus.Metric) {
	ds := descs()
	for _, rs := range c.s.all() {
		buckets := make(map[float64]uint64, latMaxExp-latMinExp+1)
		var cum uint64
		for i := range numLatBuckets - 1 {
			cum += rs.buckets[i].Load()
			if i == 0 || (i-1)%latSub == latSub-1 {
				_, hi := latBounds(i)
				buckets[hi] = cum
			}
		}
		count := cum + rs.buckets[numLatBuckets-1].Load()
		sum := float64(rs.sumNanos.Load()) / 1e9
		ch <- prometheus.MustNewConstHistogram(ds.descHTTPDur, count, sum, buckets, rs.route)
		ch <- prometheus.MustNewConstMetric(ds.descHTTPErrors, prometheus.CounterValue, float64(rs.errors.Load()), rs.route)
		ch <- prometheus.MustNewConstMetric(ds.descHTTPPanics, prometheus.CounterValue, float64(rs.panics.Load()), rs.route)
		ch <- prometheus.MustNewConstMetric(ds.descHTTPInFlight, prometheus.GaugeValue, float64(rs.inflight.Load()), rs.route)
	}
	ch <- prometheus.MustNewConstMetric(ds.descHTTPOverflow, prometheus.CounterValue, float64(c.s.overflow.Load()))
}

// MetricsHandler serves GET /metrics: the monitor's and (if configured) the
// golden signals' metrics in the Prometheus text format, from a registry of
// hotpath's own. The handler is built once per Monitor.
func (m *Monitor) MetricsHandler() http.Handler { return m.metrics() }

func (m *Monitor) newMetricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collector())
	if m.cfg.Signals != nil {
		reg.MustRegister(m.cfg.Signals.Collector())
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

var (
	_ prometheus.Collector = monitorCollector{}
	_ prometheus.Collector = signalsCollector{}
)
