package profiling

import "net/http"

// route is one extra route of the endpoint. A non-empty title lists it on the index page.
type route struct {
	pattern string // a net/http ServeMux pattern, such as "GET /metrics"
	title   string
	handler http.Handler
}

// extraRoutes is the one place where features built on the Profiler mount their routes on Handler (the
// web UI, /metrics, /api/signals). Every route here sits behind the same Authorize/loopback guard as the
// rest of the endpoint. Add one line per route in your own block; keep the blocks apart so that merges
// stay trivial.
func (p *Profiler) extraRoutes() []route {
	return []route{
		// web UI, Pyroscope, PGO (issue 6): /ui/ goes here.

		// signals and triggers (issue 7): /metrics and /api/signals go here.

	}
}
