package profiling

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape serves /metrics and parses it back with the client library's text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), "GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200: %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("TextToMetricFamilies() error %v", err)
	}
	return fams
}

// metric finds the sample of fam whose labels include want.
func metric(fam *dto.MetricFamily, want map[string]string) *dto.Metric {
	for _, m := range fam.GetMetric() {
		n := 0
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
				n++
			}
		}
		if n == len(want) {
			return m
		}
	}
	return nil
}

func TestMetricsParseBack(t *testing.T) {
	sig := NewSignals(SignalsConfig{})
	for range 4 {
		o := sig.Begin("GET /items/{id}")
		time.Sleep(time.Millisecond)
		o.End(200, false)
	}
	sig.Begin("GET /items/{id}").End(502, false)
	sig.Begin("GET /boom").End(0, true)
	sig.Begin("GET /slow") // stays in flight
	now := time.Now()
	m, err := newMonitor(MonitorConfig{Signals: sig, Limits: &ContainerLimits{CPU: 2, MemoryBytes: 1 << 30},
		Rules: []Rule{{Name: "many-goroutines", Signal: "goroutines", Threshold: 1e9}}, now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var s Saturation
	m.samp.read(now.Add(-time.Second), &s)
	m.step(now)
	fams := scrape(t, m.MetricsHandler())

	tests := []struct {
		name   string
		labels map[string]string
		value  func(*dto.Metric) float64
		want   float64
	}{
		{"hotpath_http_request_duration_seconds", map[string]string{"route": "GET /items/{id}"}, func(m *dto.Metric) float64 { return float64(m.GetHistogram().GetSampleCount()) }, 5},
		{"hotpath_http_errors_total", map[string]string{"route": "GET /items/{id}"}, func(m *dto.Metric) float64 { return m.GetCounter().GetValue() }, 1},
		{"hotpath_http_errors_total", map[string]string{"route": "GET /boom"}, func(m *dto.Metric) float64 { return m.GetCounter().GetValue() }, 1},
		{"hotpath_http_panics_total", map[string]string{"route": "GET /boom"}, func(m *dto.Metric) float64 { return m.GetCounter().GetValue() }, 1},
		{"hotpath_http_in_flight_requests", map[string]string{"route": "GET /slow"}, func(m *dto.Metric) float64 { return m.GetGauge().GetValue() }, 1},
		{"hotpath_container_cpu_limit_cores", nil, func(m *dto.Metric) float64 { return m.GetGauge().GetValue() }, 2},
		{"hotpath_memory_bytes", map[string]string{"kind": "limit"}, func(m *dto.Metric) float64 { return m.GetGauge().GetValue() }, 1 << 30},
		{"hotpath_goroutines", map[string]string{"state": "all"}, func(m *dto.Metric) float64 { return m.GetGauge().GetValue() }, float64(m.latest.Goroutines)},
		{"hotpath_trigger_firings_total", map[string]string{"rule": "many-goroutines"}, func(m *dto.Metric) float64 { return m.GetCounter().GetValue() }, 0},
	}
	for _, tt := range tests {
		fam, ok := fams[tt.name]
		if !ok {
			t.Errorf("family %q missing from /metrics", tt.name)
			continue
		}
		mm := metric(fam, tt.labels)
		if mm == nil {
			t.Errorf("%s%v missing", tt.name, tt.labels)
			continue
		}
		if got := tt.value(mm); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	// The 1ms requests sit in the histogram's cumulative buckets: none at or
	// below ~0.5 ms, all five by ~2 ms.
	h := metric(fams["hotpath_http_request_duration_seconds"], map[string]string{"route": "GET /items/{id}"}).GetHistogram()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() < 0.0005 && b.GetCumulativeCount() > 1 {
			t.Errorf("bucket le=%v has %d, want at most the one fast 502", b.GetUpperBound(), b.GetCumulativeCount())
		}
	}
	if n := len(h.GetBucket()); n != latMaxExp-latMinExp+2 { // powers of two and +Inf
		t.Errorf("histogram buckets = %d, want %d", n, latMaxExp-latMinExp+2)
	}
}

// A user can register hotpath's collectors on their own registry.
func TestCollectorsOnUserRegistry(t *testing.T) {
	m, err := newMonitor(MonitorConfig{Limits: &ContainerLimits{}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(m.Collector()); err != nil {
		t.Fatalf("Register(monitor) error %v", err)
	}
	if err := reg.Register(NewSignals(SignalsConfig{}).Collector()); err != nil {
		t.Fatalf("Register(signals) error %v", err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Errorf("Gather() error %v", err)
	}
}
