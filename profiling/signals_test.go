package profiling

import (
	"bufio"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLatencyBuckets(t *testing.T) {
	// Every bucket's bounds contain the durations mapped to it, and buckets
	// are contiguous.
	prevHi := 0.0
	for i := range numLatBuckets - 1 {
		lo, hi := latBounds(i)
		if lo != prevHi || hi <= lo {
			t.Fatalf("latBounds(%d) = %v, %v, want lo %v < hi", i, lo, hi, prevHi)
		}
		prevHi = hi
		for _, ns := range []int64{int64(math.Ceil(lo * 1e9)), int64(hi*1e9) - 1} {
			if got := latBucket(ns); got != i {
				t.Errorf("latBucket(%d) = %d, want %d (bounds %v..%v)", ns, got, i, lo, hi)
			}
		}
	}
	if got := latBucket(int64(time.Hour)); got != numLatBuckets-1 {
		t.Errorf("latBucket(1h) = %d, want overflow %d", got, numLatBuckets-1)
	}
	if got := latBucket(-5); got != 0 {
		t.Errorf("latBucket(-5) = %d, want 0", got)
	}
}

func TestLatQuantiles(t *testing.T) {
	var b [numLatBuckets]uint64
	for range 99 {
		b[latBucket(int64(time.Millisecond))]++
	}
	b[latBucket(int64(time.Second))]++
	q := latQuantiles(&b)
	within := func(got, want float64) bool { return got >= want*0.75 && got <= want*1.26 }
	if q.Count != 100 || !within(q.P50, 0.001) || !within(q.P95, 0.001) || !within(q.P99, 0.001) || !within(q.Max, 1) {
		t.Errorf("latQuantiles(99×1ms, 1×1s) = %+v, want p50≈p99≈1ms, max≈1s", q)
	}
}

// newSignalsServer serves a mux with routes of every outcome through the middleware.
func newSignalsServer(t *testing.T, s *Signals, release chan struct{}) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) })
	mux.HandleFunc("POST /panic", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) { <-release })
	srv := httptest.NewServer(s.Middleware(mux))
	t.Cleanup(srv.Close)
	return srv
}

func sigGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return -1 // a panicking handler aborts the connection
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestMiddlewareSignals(t *testing.T) {
	s := NewSignals(SignalsConfig{})
	release := make(chan struct{})
	srv := newSignalsServer(t, s, release)
	for range 3 {
		sigGet(t, srv.URL+"/ok")
	}
	sigGet(t, srv.URL+"/fail")
	if resp, err := http.Post(srv.URL+"/panic", "text/plain", nil); err == nil { // POST: the client does not retry it
		resp.Body.Close()
	}
	sigGet(t, srv.URL+"/items/7")
	sigGet(t, srv.URL+"/items/8")
	sigGet(t, srv.URL+"/nothing")
	done := make(chan struct{})
	go func() { sigGet(t, srv.URL+"/slow"); close(done) }()
	for s.stats("GET /slow").inflight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	got := map[string]RouteSignals{}
	for _, r := range s.sample(time.Second) {
		got[r.Route] = r
	}
	close(release)
	<-done
	want := map[string]RouteSignals{
		"":                {Requests: 8, Errors: 2, Panics: 1, InFlight: 1},
		"GET /ok":         {Requests: 3},
		"GET /fail":       {Requests: 1, Errors: 1},
		"POST /panic":     {Requests: 1, Errors: 1, Panics: 1},
		"GET /items/{id}": {Requests: 2},
		"unmatched":       {Requests: 1},
		"GET /slow":       {InFlight: 1},
	}
	for route, w := range want {
		g := got[route]
		if g.Requests != w.Requests || g.Errors != w.Errors || g.Panics != w.Panics || g.InFlight != w.InFlight {
			t.Errorf("sample()[%q] = %+v, want requests %d errors %d panics %d in-flight %d", route, g, w.Requests, w.Errors, w.Panics, w.InFlight)
		}
	}
	if all := got[""]; all.Throughput != 8 || all.ErrorRatio != 0.25 || all.Latency.Count != 8 || all.Latency.P99 <= 0 {
		t.Errorf("sample() total = %+v, want 8 req/s, error ratio 0.25, 8 latencies", all)
	}
	// The next interval starts from zero.
	if next := s.sample(time.Second)[0]; next.Requests != 1 || next.InFlight != 0 {
		t.Errorf("second sample() total = %+v, want just the slow request", next)
	}
}

func TestMiddlewareMaxRoutes(t *testing.T) {
	s := NewSignals(SignalsConfig{MaxRoutes: 1, Route: func(r *http.Request) string { return r.URL.Path }})
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, p := range []string{"/a", "/b", "/c", "/a"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	if n := s.overflow.Load(); n != 2 {
		t.Errorf("overflow = %d, want 2", n)
	}
	if n := s.other.requests.Load(); n != 2 {
		t.Errorf("other requests = %d, want 2", n)
	}
}

// hijackFlushWriter has the optional interfaces of net/http's own writer.
type hijackFlushWriter struct{ *httptest.ResponseRecorder }

func (hijackFlushWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, nil }
func (hijackFlushWriter) ReadFrom(r io.Reader) (int64, error)          { return io.Copy(io.Discard, r) }

// The wrapper must not hide an interface the server's writer has, nor add one it lacks.
func TestMiddlewareKeepsInterfaces(t *testing.T) {
	tests := []struct {
		name                       string
		w                          http.ResponseWriter
		flusher, hijacker, readFrm bool
	}{
		{"recorder", httptest.NewRecorder(), true, false, false},
		{"server-like", hijackFlushWriter{httptest.NewRecorder()}, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSignals(SignalsConfig{})
			var f, h, rf bool
			s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, f = w.(http.Flusher)
				_, h = w.(http.Hijacker)
				_, rf = w.(io.ReaderFrom)
			})).ServeHTTP(tt.w, httptest.NewRequest("GET", "/", nil))
			if f != tt.flusher || h != tt.hijacker || rf != tt.readFrm {
				t.Errorf("wrapped writer Flusher=%v Hijacker=%v ReaderFrom=%v, want %v %v %v", f, h, rf, tt.flusher, tt.hijacker, tt.readFrm)
			}
		})
	}
}

func TestBeginEndDoesNotAllocate(t *testing.T) {
	s := NewSignals(SignalsConfig{})
	s.Begin("r").End(200, false)
	if a := testing.AllocsPerRun(1000, func() { s.Begin("r").End(200, false) }); a != 0 {
		t.Errorf("Begin/End allocs = %v, want 0", a)
	}
}

// BenchmarkMiddleware compares a handler bare, with Begin/End only, and
// with the full middleware (httpsnoop wrapper and mux pattern lookup).
func BenchmarkMiddleware(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s := NewSignals(SignalsConfig{})
	cases := []struct {
		name string
		h    http.Handler
	}{
		{"bare", mux},
		{"begin-end", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o := s.Begin("GET /items/{id}")
			mux.ServeHTTP(w, r)
			o.End(http.StatusNoContent, false)
		})},
		{"middleware", s.Middleware(mux)},
	}
	r := httptest.NewRequest("GET", "/items/42", nil)
	w := httptest.NewRecorder()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(w, r)
			}
		})
	}
}
