package profiling

import (
	"math"
	"math/bits"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/felixge/httpsnoop"
)

// SignalsConfig configures the golden-signals middleware. The zero value works.
type SignalsConfig struct {
	// MaxRoutes bounds the number of routes tracked; requests of further
	// routes are counted under the route "other" and in Overflow. Zero means
	// 256, enough for any hand-written mux and small enough (about 1 KiB per
	// route) to never matter.
	MaxRoutes int
	// Route names the route of a request. Nil means: the pattern that the
	// wrapped *http.ServeMux will pick (looked up before the handler runs, so
	// in-flight counts are per route), else r.Pattern, else "unmatched".
	Route func(*http.Request) string
}

// Signals records the four golden signals per route: latency, throughput,
// errors (5xx responses and panics) and in-flight requests (saturation of the
// handler). Counters are atomics, so recording is lock-free and costs no
// allocation beyond the httpsnoop wrapper. Safe for concurrent use; sample it
// with at most one Monitor.
type Signals struct {
	cfg    SignalsConfig
	routes atomic.Pointer[map[string]*routeStats] // copy on write
	mu     sync.Mutex                             // serialises route inserts
	other  *routeStats
	// overflow counts requests recorded under "other" because MaxRoutes was reached.
	overflow atomic.Uint64
}

// Latency buckets: 4 per power of two from 2^10 ns (1 µs) to 2^35 ns (34 s),
// plus an underflow and an overflow bucket. A bucket is 25% wide, so an
// interpolated quantile is off by at most ~12%.
const (
	latMinExp     = 10
	latMaxExp     = 35
	latSub        = 4
	numLatBuckets = (latMaxExp-latMinExp)*latSub + 2
)

type routeStats struct {
	route    string
	requests atomic.Uint64
	errors   atomic.Uint64 // 5xx and panics
	panics   atomic.Uint64
	inflight atomic.Int64
	sumNanos atomic.Uint64
	buckets  [numLatBuckets]atomic.Uint64

	// prev is the sampler's copy from the previous interval; only the
	// monitor goroutine touches it.
	prev routeCounts
}

type routeCounts struct {
	requests, errors, panics uint64
	buckets                  [numLatBuckets]uint64
}

// RouteSignals is one route's golden signals over one sampling interval.
type RouteSignals struct {
	Route      string    `json:"route"`
	Requests   uint64    `json:"requests"`
	Throughput float64   `json:"throughput"` // requests per second
	Errors     uint64    `json:"errors"`     // 5xx responses and panics
	Panics     uint64    `json:"panics"`
	ErrorRatio float64   `json:"error_ratio"` // Errors / Requests, 0..1
	InFlight   int64     `json:"in_flight"`
	Latency    Quantiles `json:"latency"`
}

// NewSignals returns an empty recorder.
func NewSignals(cfg SignalsConfig) *Signals {
	if cfg.MaxRoutes <= 0 {
		cfg.MaxRoutes = 256
	}
	s := &Signals{cfg: cfg, other: &routeStats{route: "other"}}
	m := map[string]*routeStats{}
	s.routes.Store(&m)
	return s
}

// Observation is one request being recorded; End finishes it. It is a small
// value: starting and ending one does not allocate.
type Observation struct {
	rs    *routeStats
	start time.Time
}

// Begin starts recording a request of route. It lets a middleware that
// already wraps the ResponseWriter (route labels, tracing) feed the golden
// signals without a second wrapper.
func (s *Signals) Begin(route string) Observation {
	rs := s.stats(route)
	rs.inflight.Add(1)
	return Observation{rs: rs, start: time.Now()}
}

// End records the request's status (0 means nothing was written: 200) and
// whether its handler panicked.
func (o Observation) End(status int, panicked bool) {
	d := time.Since(o.start)
	rs := o.rs
	rs.inflight.Add(-1)
	rs.requests.Add(1)
	rs.sumNanos.Add(uint64(max(d, 0)))
	rs.buckets[latBucket(int64(d))].Add(1)
	if panicked {
		rs.panics.Add(1)
	}
	if panicked || status >= 500 {
		rs.errors.Add(1)
	}
}

// Middleware records every request that next serves. The ResponseWriter is
// wrapped with httpsnoop, so http.Flusher, http.Hijacker, io.ReaderFrom
// (sendfile) and http.Pusher stay visible to handlers exactly when the
// server's writer has them. A panic is counted and then continues unwinding
// untouched, so the server still logs it with its stack.
//
// It is the standalone form, for services without route labels: with
// RouteLabels, set MiddlewareConfig.Signals instead, so one wrapper sets the
// labels and records the signals (routes are then named as RouteLabels names
// them, without the method).
func (s *Signals) Middleware(next http.Handler) http.Handler {
	mux, _ := next.(*http.ServeMux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := s.Begin(s.route(mux, r))
		status, done := 0, false
		defer func() { o.End(status, !done) }()
		next.ServeHTTP(httpsnoop.Wrap(w, httpsnoop.Hooks{
			WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
				return func(code int) {
					if status == 0 && code >= 200 {
						status = code
					}
					next(code)
				}
			},
		}), r)
		done = true
	})
}

func (s *Signals) route(mux *http.ServeMux, r *http.Request) string {
	if s.cfg.Route != nil {
		return s.cfg.Route(r)
	}
	if r.Pattern != "" {
		return r.Pattern
	}
	if mux != nil {
		if _, p := mux.Handler(r); p != "" {
			return p
		}
	}
	return "unmatched"
}

// stats returns the counters of route, creating them (bounded by MaxRoutes).
func (s *Signals) stats(route string) *routeStats {
	if rs, ok := (*s.routes.Load())[route]; ok {
		return rs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.routes.Load()
	if rs, ok := old[route]; ok {
		return rs
	}
	if len(old) >= s.cfg.MaxRoutes {
		s.overflow.Add(1)
		return s.other
	}
	m := make(map[string]*routeStats, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	rs := &routeStats{route: route}
	m[route] = rs
	s.routes.Store(&m)
	return rs
}

// all returns every route's counters sorted by route, "other" last if used.
func (s *Signals) all() []*routeStats {
	m := *s.routes.Load()
	out := make([]*routeStats, 0, len(m)+1)
	for _, rs := range m {
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].route < out[j].route })
	if s.other.requests.Load() > 0 || s.other.inflight.Load() > 0 {
		out = append(out, s.other)
	}
	return out
}

// sample turns the counters into per-interval signals: one entry per route
// and the total (Route "") first. Only the monitor goroutine calls it.
func (s *Signals) sample(dt time.Duration) []RouteSignals {
	routes := s.all()
	out := make([]RouteSignals, 1, len(routes)+1)
	var total routeCounts
	for _, rs := range routes {
		var cur routeCounts
		cur.requests, cur.errors, cur.panics = rs.requests.Load(), rs.errors.Load(), rs.panics.Load()
		for i := range cur.buckets {
			cur.buckets[i] = rs.buckets[i].Load()
		}
		var d routeCounts
		d.requests, d.errors, d.panics = cur.requests-rs.prev.requests, cur.errors-rs.prev.errors, cur.panics-rs.prev.panics
		for i := range d.buckets {
			d.buckets[i] = cur.buckets[i] - rs.prev.buckets[i]
			total.buckets[i] += d.buckets[i]
		}
		rs.prev = cur
		total.requests, total.errors, total.panics = total.requests+d.requests, total.errors+d.errors, total.panics+d.panics
		out = append(out, d.signals(rs.route, rs.inflight.Load(), dt))
		out[0].InFlight += rs.inflight.Load()
	}
	inflight := out[0].InFlight
	out[0] = total.signals("", inflight, dt)
	return out
}

func (d *routeCounts) signals(route string, inflight int64, dt time.Duration) RouteSignals {
	rs := RouteSignals{Route: route, Requests: d.requests, Errors: d.errors, Panics: d.panics, InFlight: inflight}
	if sec := dt.Seconds(); sec > 0 {
		rs.Throughput = float64(d.requests) / sec
	}
	if d.requests > 0 {
		rs.ErrorRatio = float64(d.errors) / float64(d.requests)
	}
	rs.Latency = latQuantiles(&d.buckets)
	return rs
}

func latQuantiles(b *[numLatBuckets]uint64) Quantiles {
	var q Quantiles
	top := -1
	for i, c := range b {
		if c > 0 {
			q.Count += c
			top = i
		}
	}
	if q.Count == 0 {
		return q
	}
	_, q.Max = latBounds(top)
	count := func(i int) uint64 { return b[i] }
	q.P50 = quantile(numLatBuckets, count, latBounds, q.Count, 0.50)
	q.P95 = quantile(numLatBuckets, count, latBounds, q.Count, 0.95)
	q.P99 = quantile(numLatBuckets, count, latBounds, q.Count, 0.99)
	return q
}

// latBucket maps a duration in nanoseconds to its bucket with two shifts and
// no loop: the exponent picks the power of two, the next two bits the quarter.
func latBucket(ns int64) int {
	if ns < 1<<latMinExp {
		return 0
	}
	e := bits.Len64(uint64(ns)) - 1
	if e >= latMaxExp {
		return numLatBuckets - 1
	}
	return 1 + (e-latMinExp)*latSub + int(uint64(ns)>>(e-2))&3
}

// latBounds returns bucket i's bounds in seconds. The overflow bucket's upper
// bound is reported as its lower bound (the histogram knows no more).
func latBounds(i int) (lo, hi float64) {
	switch {
	case i == 0:
		return 0, math.Ldexp(1, latMinExp) / 1e9
	case i == numLatBuckets-1:
		v := math.Ldexp(1, latMaxExp) / 1e9
		return v, v
	}
	e, s := latMinExp+(i-1)/latSub, (i-1)%latSub
	base := math.Ldexp(1, e)
	return base * (1 + float64(s)/latSub) / 1e9, base * (1 + float64(s+1)/latSub) / 1e9
}
