package profiling

import (
	"fmt"
	"net/http"
)

// route is one extra route of the endpoint. A non-empty title lists it on the index page; a route
// that needs a monitor is listed only while one is attached.
type route struct {
	pattern      string // a net/http ServeMux pattern, such as "GET /metrics"
	title        string
	handler      http.Handler
	needsMonitor bool
}

// extraRoutes is the one place where features built on the Profiler mount their routes on Handler (the
// web UI, /metrics, /api/signals). Every route here sits behind the same Authorize/loopback guard as the
// rest of the endpoint.
func (p *Profiler) extraRoutes() []route {
	return []route{
		// web UI (ui.go)
		{"GET /ui/", "pprof web UI: flame graph, top, graph, source, peek (CPU, every stored window)", http.StripPrefix("/ui", newUIHandler(p.uiProfile)), false},

		// saturation monitor and golden signals (monitor.go, signals_http.go, metrics.go): served while
		// a Monitor started with MonitorConfig.Profiler = p is attached, 404 otherwise.
		{"GET /metrics", "Prometheus metrics: saturation, golden signals, triggers", p.monitorRoute((*Monitor).MetricsHandler), true},
		{"GET /api/signals", "signals JSON (?since=15m)", p.monitorRoute((*Monitor).SignalsHandler), true},
	}
}

// monitorRoute serves h of the attached monitor, or 404 with the reason when none is attached.
func (p *Profiler) monitorRoute(h func(*Monitor) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := p.monitor.Load()
		if m == nil {
			httpError(w, http.StatusNotFound, fmt.Errorf("profiling: %s: %w: no monitor attached (StartMonitor with MonitorConfig.Profiler)", r.URL.Path, ErrNotFound))
			return
		}
		h(m).ServeHTTP(w, r)
	})
}
