package profiling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// stepper drives a monitor by hand on a fake clock: no ticker, no timing.
type stepper struct {
	m   *Monitor
	now atomic.Int64 // unix nanoseconds; captures read it from their goroutines
}

func (s *stepper) clock() time.Time { return time.Unix(0, s.now.Load()).UTC() }

func newStepper(t *testing.T, cfg MonitorConfig) *stepper {
	t.Helper()
	s := &stepper{}
	s.now.Store(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC).UnixNano())
	cfg.now = s.clock
	if cfg.Limits == nil {
		cfg.Limits = &ContainerLimits{}
	}
	m, err := newMonitor(cfg)
	if err != nil {
		t.Fatalf("newMonitor() error %v", err)
	}
	var sat Saturation
	m.samp.read(s.clock(), &sat)
	s.m = m
	if err := m.attach(); err != nil {
		t.Fatalf("attach() error %v", err)
	}
	t.Cleanup(func() {
		m.detach()
		if err := m.cap.stop(context.Background()); err != nil {
			t.Errorf("stop captures: %v", err)
		}
	})
	return s
}

func (s *stepper) step(n int) {
	for range n {
		s.m.step(time.Unix(0, s.now.Add(int64(time.Second))).UTC())
	}
}

// A relative rule fires when goroutines grow past 1.5× their moving
// baseline, once; the cooldown holds while they stay high; the capture holds
// a goroutine profile with the new goroutines and the firing's values.
func TestTriggerGoroutineGrowth(t *testing.T) {
	p := startTest(t, Config{Kinds: []Kind{KindHeap}})
	s := newStepper(t, MonitorConfig{Profiler: p, Rules: []Rule{{
		Name: "goroutine-growth", Signal: "goroutines", Kind: Relative, Threshold: 1.5, Min: 100,
		Baseline: 10, Cooldown: time.Minute, Capture: []Kind{KindGoroutine, KindHeap},
	}}})
	s.step(15)
	if st := s.m.Rules()[0]; st.Fired != 0 || st.Seen != 15 {
		t.Fatalf("before growth: %+v, want seen 15, fired 0", st)
	}
	release := make(chan struct{})
	const extra = 500
	for range extra {
		go func() { <-release }()
	}
	defer close(release)
	s.step(5)
	st := s.m.Rules()[0]
	if st.Fired != 1 || st.Cooldown != 4 {
		t.Fatalf("after growth: %+v, want fired 1, suppressed by cooldown 4", st)
	}
	s.m.cap.wg.Wait()
	caps := s.m.Captures()
	if len(caps) != 1 {
		t.Fatalf("Captures() = %d, want 1", len(caps))
	}
	c := caps[0]
	if len(c.Errors) != 0 || len(c.Files) != 2 {
		t.Fatalf("capture = %+v, want goroutine and heap files, no errors", c)
	}
	checkIndexListsCapture(t, s.m, c)
	f := c.Firing
	if f.Value < f.Baseline*1.5 || f.Value < extra || f.Baseline <= 0 {
		t.Errorf("firing = %+v, want value ≥ 1.5×baseline and ≥ %d", f, extra)
	}
	for _, file := range c.Files {
		e := file.Entry
		if e.Source != "trigger-goroutine-growth" || e.Meta["rule"] != "goroutine-growth" || e.Meta["signal"] != "goroutines" || e.Meta["value"] == "" {
			t.Errorf("stored entry = %+v, want the rule's source and meta", e)
		}
		b, err := p.Store().Read(e)
		if err != nil {
			t.Fatalf("Store().Read(%s) error %v", e.Name, err)
		}
		pr, err := profile.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("profile.Parse(%s) error %v", e.Name, err)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), "GET", "/api/file?name="+url.QueryEscape(e.Name), nil)
		req.RemoteAddr = "127.0.0.1:40000" // the profiler's guard serves loopback clients
		s.m.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), b) {
			t.Errorf("GET /api/file?name=%s = %d, %d bytes, want the stored %d bytes", e.Name, rec.Code, rec.Body.Len(), len(b))
		}
		if file.Kind == KindGoroutine {
			var n int64
			for _, smp := range pr.Sample {
				n += smp.Value[0]
			}
			if n < extra {
				t.Errorf("goroutine profile has %d goroutines, want ≥ %d", n, extra)
			}
		}
	}
}

// The index lists the capture with its rule, value and links to its files.
func checkIndexListsCapture(t *testing.T, m *Monitor, c Capture) {
	t.Helper()
	var b strings.Builder
	if err := m.WriteIndexSection(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<td>" + c.Firing.Rule + "</td>", c.Firing.Signal + "=", `href="api/file?name=` + url.QueryEscape(c.Files[0].Entry.Name)} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("index section lacks %q", want)
		}
	}
}

// Two rules firing together never run two captures of one kind at once:
// the second finds the kind busy and says so.
func TestCaptureKindBusy(t *testing.T) {
	c, err := newCapturer(CaptureConfig{}, nil, nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop(t.Context())
	c.busy[KindHeap].Store(true)
	if _, err := c.take(KindHeap); err != ErrBusy {
		t.Errorf("take(heap) while busy = %v, want ErrBusy", err)
	}
	c.busy[KindHeap].Store(false)
	if b, err := c.take(KindHeap); err != nil || len(b) == 0 {
		t.Errorf("take(heap) = %d bytes, %v, want a profile", len(b), err)
	}
	if _, err := c.take(KindCPU); err != ErrNoCPUOwner {
		t.Errorf("take(cpu) without owner = %v, want ErrNoCPUOwner", err)
	}
	if _, err := c.take(KindTrace); err == nil {
		t.Errorf("take(trace) without recorder = nil error, want one")
	}
}

// A capture whose kinds all fail stores nothing and says why.
func TestCaptureFailureStoresNothing(t *testing.T) {
	p := startTest(t, Config{Kinds: []Kind{KindHeap}})
	s := newStepper(t, MonitorConfig{Profiler: p, Capture: CaptureConfig{CPU: failingCPU{}}, Rules: []Rule{{
		Name: "always", Signal: "goroutines", Threshold: 0, WarmUp: 1, Capture: []Kind{KindCPU},
	}}})
	s.step(3)
	s.m.cap.wg.Wait()
	caps := s.m.Captures()
	if len(caps) != 1 || len(caps[0].Files) != 0 || len(caps[0].Errors) != 1 || !strings.Contains(caps[0].Errors[0], "cpu: ") {
		t.Fatalf("Captures() = %+v, want one capture with a cpu error and no files", caps)
	}
	if es := p.Store().List(KindCPU, time.Time{}, time.Time{}); len(es) != 0 {
		t.Errorf("store holds %d cpu files after a failed capture, want 0", len(es))
	}
}

type failingCPU struct{}

func (failingCPU) CaptureCPU(ctx context.Context, d time.Duration) ([]byte, error) {
	return nil, ErrCPUProfilerInUse
}

func TestSignalsEndpoints(t *testing.T) {
	sig := NewSignals(SignalsConfig{})
	s := newStepper(t, MonitorConfig{Signals: sig, Rules: []Rule{{Name: "g", Signal: "goroutines", Threshold: 1e9, Capture: []Kind{KindHeap}}}})
	for i := range 5 {
		sig.Begin("GET /x").End(200+i*100, false) // 200 … 600: two errors
		s.step(1)
	}
	h := s.m.Handler()
	tests := []struct {
		url      string
		code     int
		contains []string
	}{
		{"/api/signals?since=3s", 200, []string{`"route": "GET /x"`, `"rule": "g"`, `"sched_latency"`, `"flight_recorder": "off"`}},
		{"/api/signals?since=soon", 400, []string{"bad since"}},
		{"/metrics", 200, []string{`hotpath_http_errors_total{route="GET /x"} 2`}},
		{"/", 200, []string{"<svg", "<polyline", "requests/s", "<td>g</td>"}},
		{"/api/file?name=cpu/1_2_x.pb.gz", 404, []string{"404 page not found"}}, // no profiler, no store
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), "GET", tt.url, nil))
		if rec.Code != tt.code {
			t.Errorf("GET %s = %d, want %d: %s", tt.url, rec.Code, tt.code, rec.Body)
		}
		for _, c := range tt.contains {
			if !strings.Contains(rec.Body.String(), c) {
				t.Errorf("GET %s body lacks %q", tt.url, c)
			}
		}
	}
	var rep SignalsReport
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), "GET", "/api/signals?since=3s", nil))
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("decode /api/signals: %v", err)
	}
	if len(rep.History) != 4 || rep.Latest.HTTP.Requests != 1 || len(rep.Rules) != 1 {
		t.Errorf("/api/signals?since=3s = %d points, latest %+v, %d rules; want 4 points (3s inclusive), 1 request, 1 rule", len(rep.History), rep.Latest.HTTP, len(rep.Rules))
	}
}

// Behind a Profiler, the monitor's routes share its guard and the index
// page is the profiler's with the signals section added.
func TestHandlerWithProfiler(t *testing.T) {
	p := startTest(t, Config{Kinds: []Kind{KindHeap}})
	s := newStepper(t, MonitorConfig{Profiler: p})
	s.step(2)
	srv := httptest.NewServer(s.m.Handler())
	defer srv.Close()
	for _, tt := range []struct {
		path, want string
	}{
		{"/", `id="signals"`},
		{"/", "Latest windows"},
		{"/metrics", "hotpath_goroutines"},
		{"/api/stats", "{"},
	} {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(b.String(), tt.want) {
			t.Errorf("GET %s = %d, body lacks %q", tt.path, resp.StatusCode, tt.want)
		}
	}
	req := httptest.NewRequestWithContext(t.Context(), "GET", "/metrics", nil)
	req.RemoteAddr = "203.0.113.9:4000"
	rec := httptest.NewRecorder()
	s.m.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("GET /metrics from a remote client = %d, want 403", rec.Code)
	}
}

// The profiler's own Handler serves the monitor's routes exactly while a
// monitor started with MonitorConfig.Profiler runs: 404 with the reason
// before, the routes and the index section during, 404 again after Stop.
func TestProfilerHandlerMountsMonitor(t *testing.T) {
	p := startTest(t, Config{Kinds: []Kind{KindHeap}})
	h := p.Handler()
	get := func(path string) (int, string) {
		t.Helper()
		req := httptest.NewRequestWithContext(t.Context(), "GET", path, nil)
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, path := range []string{"/metrics", "/api/signals"} {
		if code, body := get(path); code != 404 || !strings.Contains(body, "no monitor attached") || strings.Count(body, "\n") != 1 {
			t.Errorf("GET %s without monitor = %d %q, want 404 with a one-line reason", path, code, body)
		}
	}
	if _, body := get("/"); strings.Contains(body, `id="signals"`) || strings.Contains(body, `href="metrics"`) {
		t.Errorf("index without monitor shows the signals section or links /metrics")
	}
	m, err := StartMonitor(MonitorConfig{Profiler: p, Interval: time.Hour, Limits: &ContainerLimits{}})
	if err != nil {
		t.Fatalf("StartMonitor() error %v", err)
	}
	if _, err := StartMonitor(MonitorConfig{Profiler: p, Limits: &ContainerLimits{}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("second StartMonitor(same profiler) = %v, want ErrInvalidConfig", err)
	}
	for _, tt := range []struct{ path, want string }{
		{"/metrics", "hotpath_goroutines"},
		{"/api/signals", `"flight_recorder"`},
		{"/", `id="signals"`},
		{"/", `href="metrics"`},
		{"/", "Latest windows"},
	} {
		if code, body := get(tt.path); code != 200 || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s with monitor = %d, body lacks %q", tt.path, code, tt.want)
		}
	}
	if err := m.Stop(t.Context()); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if code, _ := get("/metrics"); code != 404 {
		t.Errorf("GET /metrics after monitor Stop = %d, want 404", code)
	}
}

func TestMonitorStartStop(t *testing.T) {
	m, err := StartMonitor(MonitorConfig{Interval: 5 * time.Millisecond, Limits: &ContainerLimits{}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2000 && len(m.History(time.Time{})) < 3; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(m.History(time.Time{})); n < 3 {
		t.Errorf("History() = %d points after waiting, want ≥ 3", n)
	}
	if err := m.Stop(t.Context()); err != nil {
		t.Errorf("Stop() = %v", err)
	}
	if err := m.Stop(t.Context()); err != nil {
		t.Errorf("second Stop() = %v, want nil", err)
	}
}

// Charts place samples by time over the last hour: a sample 30 minutes ago
// lands mid-chart, one 2 hours ago nowhere, a missing stretch is a gap.
func TestWriteChartPlacesByTime(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	hist := []Point{
		{Time: now.Add(-2 * time.Hour), Saturation: Saturation{Goroutines: 1000}},
		{Time: now.Add(-30 * time.Minute), Saturation: Saturation{Goroutines: 10}},
		{Time: now.Add(-30*time.Minute + 15*time.Second), Saturation: Saturation{Goroutines: 20}},
		{Time: now.Add(-time.Second), Saturation: Saturation{Goroutines: 5}},
	}
	var b strings.Builder
	writeChart(&b, chart{title: "goroutines", value: func(p *Point) float64 { return float64(p.Goroutines) }}, hist, now)
	got := b.String()
	for _, want := range []string{"goroutines: 5 (max 20)", `points="120,24.0 121,2.0 "`, `points="239,35.0 "`} {
		if !strings.Contains(got, want) {
			t.Errorf("writeChart() = %s, lacks %q", got, want)
		}
	}
}
