// Package signals measures what the golden-signals middleware and the
// trigger's flight recorder cost a service.
//
//	go test -run '^$' -bench . -count 10 ./signals/ | tee new.txt
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /mode new.txt  # off = without, on = with
package signals

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime/trace"
	"sync"
	"testing"

	"github.com/hotpath-dev/hotpath/benchmarks"
	"github.com/hotpath-dev/hotpath/profiling"
)

// handler is a small JSON endpoint with a response body of the given size.
func handler(size int) http.Handler {
	body := map[string]string{"data": string(make([]byte, size))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
	return mux
}

// BenchmarkMiddleware serves one request in-process, bare and through
// Signals.Middleware, so the difference is the middleware's own cost
// (route lookup, httpsnoop wrapper, atomic counters).
func BenchmarkMiddleware(b *testing.B) {
	for _, sz := range benchmarks.Sizes[:2] {
		h := handler(sz.Bytes)
		modes := []struct {
			name string
			h    http.Handler
		}{
			{"off", h},
			{"on", profiling.NewSignals(profiling.SignalsConfig{}).Middleware(h)},
		}
		for _, m := range modes {
			b.Run("size="+sz.Name+"/mode="+m.name, func(b *testing.B) {
				r := httptest.NewRequest("GET", "/items/42", nil)
				b.ReportAllocs()
				b.SetBytes(int64(sz.Bytes))
				for b.Loop() {
					m.h.ServeHTTP(httptest.NewRecorder(), r)
				}
			})
		}
	}
}

// BenchmarkFlightRecorder runs a scheduler- and allocation-heavy workload
// (goroutines handing work over channels) with the runtime/trace flight
// recorder off and on: the price of having the seconds before an anomaly.
func BenchmarkFlightRecorder(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run("mode="+mode, func(b *testing.B) {
			if mode == "on" {
				fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{})
				if err := fr.Start(); err != nil {
					b.Fatal(err)
				}
				defer fr.Stop()
			}
			b.ReportAllocs()
			for b.Loop() {
				pingPong(64)
			}
		})
	}
}

// pingPong hands n messages through a pipeline of 4 goroutines, each
// allocating a little: the kind of work that fills an execution trace.
func pingPong(n int) {
	const stages = 4
	chans := make([]chan []byte, stages+1)
	for i := range chans {
		chans[i] = make(chan []byte)
	}
	var wg sync.WaitGroup
	for i := range stages {
		wg.Go(func() {
			for m := range chans[i] {
				chans[i+1] <- append(m, byte(i))
			}
			close(chans[i+1])
		})
	}
	go func() {
		for i := range n {
			chans[0] <- make([]byte, 0, 64+i%8)
		}
		close(chans[0])
	}()
	for range chans[stages] {
	}
	wg.Wait()
}
