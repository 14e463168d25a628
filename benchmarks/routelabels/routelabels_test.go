// Package routelabels measures what profiling.RouteLabels adds to a request, side by side with the
// bare ServeMux it wraps.
package routelabels

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hotpath-dev/hotpath/profiling"
)

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// BenchmarkRouteLabels serves GET /orders/42 through the bare mux, through RouteLabels, through
// RouteLabels with an Observe hook (which wraps the writer with httpsnoop), through RouteLabels with
// golden signals in its one wrapper (MiddlewareConfig.Signals), and through RouteLabels around
// Signals.Middleware (two wrappers, what the one-wrapper form replaces).
func BenchmarkRouteLabels(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	// byMux names the route as Signals.Middleware does when it wraps the mux itself.
	byMux := func(r *http.Request) string { _, p := mux.Handler(r); return p }
	for _, bb := range []struct {
		name string
		h    http.Handler
	}{
		{"mux", mux},
		{"labels", profiling.RouteLabels(mux, profiling.MiddlewareConfig{})},
		{"labels+observe", profiling.RouteLabels(mux, profiling.MiddlewareConfig{Observe: func(profiling.RequestInfo) {}})},
		{"labels+signals", profiling.RouteLabels(mux, profiling.MiddlewareConfig{Signals: profiling.NewSignals(profiling.SignalsConfig{})})},
		{"signals-middleware,labels", profiling.NewSignals(profiling.SignalsConfig{Route: byMux}).Middleware(profiling.RouteLabels(mux, profiling.MiddlewareConfig{}))},
	} {
		b.Run(bb.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/orders/42", nil)
			w := discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				bb.h.ServeHTTP(w, req)
			}
		})
	}
}
