package profiling_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"time"

	"github.com/hotpath-dev/hotpath/profiling"
)

// RouteLabels labels each request with the ServeMux pattern that matched it, never its raw path.
func ExampleRouteLabels() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		route, _ := pprof.Label(r.Context(), profiling.LabelRoute)
		method, _ := pprof.Label(r.Context(), profiling.LabelMethod)
		fmt.Println(route, method)
	})
	h := profiling.RouteLabels(mux, profiling.MiddlewareConfig{})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/orders/42", nil))
	// Output: /orders/{id} GET
}

func ExampleDo() {
	profiling.Do(context.Background(), map[string]string{"job": "reindex"}, func(ctx context.Context) {
		job, _ := pprof.Label(ctx, "job")
		fmt.Println(job) // CPU samples taken here carry job=reindex
	})
	// Output: reindex
}

func ExampleParseLabelFilters() {
	fs, err := profiling.ParseLabelFilters([]string{"route:/orders/{id}", "method:GET"})
	fmt.Println(fs, err)
	_, err = profiling.ParseLabelFilters([]string{"route"})
	fmt.Println(err)
	// Output:
	// [method:GET route:/orders/{id}] <nil>
	// bad request: label="route": want key:value, such as route:/orders
}

// A Pyroscope sink goes in Config.Sinks; the Profiler closes it at Stop.
func ExamplePyroscopeSink() {
	sink, err := profiling.PyroscopeSink(profiling.PyroscopeConfig{
		URL:      "http://pyroscope.internal:4040",
		SpillDir: "/var/cache/orders/pyroscope-spill", // windows wait here while the server is down
	})
	if err != nil {
		panic(err)
	}
	p, err := profiling.Start(profiling.Config{Service: "orders", Sinks: []profiling.Sink{sink}})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	defer p.Stop(ctx)
}
