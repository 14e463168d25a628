package profiling_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hotpath-dev/hotpath/profiling"
	"github.com/prometheus/client_golang/prometheus"
)

// Golden signals per route: wrap the mux, then scrape /metrics.
func ExampleSignals_Middleware() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "0" {
			http.Error(w, "backend down", http.StatusBadGateway)
		}
	})
	sig := profiling.NewSignals(profiling.SignalsConfig{})
	h := sig.Middleware(mux)
	for _, id := range []string{"1", "2", "0"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/orders/"+id, nil))
	}

	mon, _ := profiling.StartMonitor(profiling.MonitorConfig{Signals: sig})
	defer mon.Stop(context.Background())
	rec := httptest.NewRecorder()
	mon.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "hotpath_http_errors_total") || strings.HasPrefix(l, "hotpath_http_request_duration_seconds_count") {
			fmt.Println(l)
		}
	}
	// Output:
	// hotpath_http_errors_total{route="GET /orders/{id}"} 1
	// hotpath_http_request_duration_seconds_count{route="GET /orders/{id}"} 3
}

// One middleware for route labels and golden signals: RouteLabels with
// MiddlewareConfig.Signals wraps the ResponseWriter once for both.
func ExampleMiddlewareConfig_signals() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "0" {
			http.Error(w, "backend down", http.StatusBadGateway)
		}
	})
	sig := profiling.NewSignals(profiling.SignalsConfig{})
	h := profiling.RouteLabels(mux, profiling.MiddlewareConfig{Signals: sig})
	for _, id := range []string{"1", "2", "0"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/orders/"+id, nil))
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(sig.Collector())
	fams, _ := reg.Gather()
	for _, f := range fams {
		if f.GetName() == "hotpath_http_errors_total" {
			m := f.GetMetric()[0]
			fmt.Println(m.GetLabel()[0].GetValue(), m.GetCounter().GetValue())
		}
	}
	// Output:
	// /orders/{id} 1
}

// A rule that captures evidence when goroutines double over their moving
// baseline; with MonitorConfig.Profiler set, the CPU profile goes through the
// profiler's CPU owner and the files into its store.
func ExampleRule() {
	rule := profiling.Rule{
		Name:      "goroutine-leak",
		Signal:    "goroutines",
		Kind:      profiling.Relative,
		Threshold: 2,    // twice the moving mean
		Min:       1000, // and at least 1000
		Capture:   []profiling.Kind{profiling.KindGoroutine, profiling.KindTrace},
	}
	mon, err := profiling.StartMonitor(profiling.MonitorConfig{Rules: []profiling.Rule{rule}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mon.Stop(context.Background())
	fmt.Printf("%s on %s, %s\n", mon.Rules()[0].Rule, mon.Rules()[0].Signal, rule.Kind)
	// Output: goroutine-leak on goroutines, relative
}
