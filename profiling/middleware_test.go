package profiling

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// labelEcho writes the request's pprof labels route and method.
func labelEcho(w http.ResponseWriter, r *http.Request) {
	route, _ := pprof.Label(r.Context(), LabelRoute)
	method, _ := pprof.Label(r.Context(), LabelMethod)
	fmt.Fprintf(w, "%s %s", route, method)
}

func TestRouteLabels(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", labelEcho)
	mux.HandleFunc("/static/", labelEcho)
	mux.Handle("POST /inner", RouteLabels(http.HandlerFunc(labelEcho), MiddlewareConfig{}))
	var mu sync.Mutex
	var seen []RequestInfo
	observe := func(ri RequestInfo) { mu.Lock(); seen = append(seen, ri); mu.Unlock() }

	tests := []struct {
		name     string
		handler  http.Handler
		method   string
		path     string
		want     string // body
		observed string // route seen by Observe, "" when not observing
	}{
		{"mux pattern without method", RouteLabels(mux, MiddlewareConfig{}), "GET", "/orders/42", "/orders/{id} GET", ""},
		{"prefix pattern", RouteLabels(mux, MiddlewareConfig{}), "GET", "/static/a/b.css", "/static/ GET", ""},
		{"inside the mux uses r.Pattern", mux, "POST", "/inner", "/inner POST", ""},
		{"no match", RouteLabels(mux, MiddlewareConfig{Observe: observe}), "GET", "/nowhere", "404 page not found\n", unmatchedRoute},
		{"custom route func", RouteLabels(http.HandlerFunc(labelEcho), MiddlewareConfig{Route: func(*http.Request) string { return "fixed" }}), "PUT", "/x", "fixed PUT", ""},
		{"observed", RouteLabels(mux, MiddlewareConfig{Observe: observe}), "GET", "/orders/7", "/orders/{id} GET", "/orders/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			rec := httptest.NewRecorder()
			tt.handler.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), tt.method, tt.path, nil))
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("%s %s body = %q, want %q", tt.method, tt.path, got, tt.want)
			}
			if tt.observed != "" {
				mu.Lock()
				defer mu.Unlock()
				if len(seen) != 1 || seen[0].Route != tt.observed || seen[0].Method != tt.method || seen[0].Status != rec.Code || seen[0].Bytes != int64(len(tt.want)) {
					t.Errorf("Observe saw %+v, want one request on %q %s with status %d and %d bytes", seen, tt.observed, tt.method, rec.Code, len(tt.want))
				}
			}
		})
	}
}

// TestRouteLabelsKeepsInterfaces checks, on a real HTTP/1.1 and a real HTTP/2 server, that a handler
// behind RouteLabels still finds every optional interface of the server's ResponseWriter, observed or
// not, and that bytes sent through io.ReaderFrom are counted.
func TestRouteLabelsKeepsInterfaces(t *testing.T) {
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, []byte(strings.Repeat("x", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(h2 bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, flusher := w.(http.Flusher)
			_, hijacker := w.(http.Hijacker)
			_, readerFrom := w.(io.ReaderFrom)
			_, pusher := w.(http.Pusher)
			w.Header().Set("X-Interfaces", fmt.Sprint(flusher, hijacker || h2, readerFrom || h2, pusher || !h2))
			f, err := os.Open(file)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			defer f.Close()
			w.WriteHeader(http.StatusAccepted)
			io.Copy(w, f) // through ReadFrom where the writer has it
		}
	}
	for _, tt := range []struct {
		name    string
		h2      bool
		observe bool
		signals bool
	}{
		{"http1", false, false, false}, {"http1 observed", false, true, false}, {"http1 signals", false, false, true},
		{"http2", true, false, false}, {"http2 observed", true, true, false}, {"http2 signals", true, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got RequestInfo
			cfg := MiddlewareConfig{}
			if tt.observe {
				cfg.Observe = func(ri RequestInfo) { got = ri }
			}
			if tt.signals {
				cfg.Signals = NewSignals(SignalsConfig{})
			}
			srv := httptest.NewUnstartedServer(RouteLabels(check(tt.h2), cfg))
			if tt.h2 {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			client := srv.Client()
			if tt.h2 {
				client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}}
				client.Transport.(*http.Transport).ForceAttemptHTTP2 = true
			}
			req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/", nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if tt.h2 != (resp.ProtoMajor == 2) {
				t.Fatalf("protocol = %s, want HTTP/2 %v", resp.Proto, tt.h2)
			}
			if h := resp.Header.Get("X-Interfaces"); h != "true true true true" {
				t.Errorf("Flusher, Hijacker (h1), ReaderFrom (h1), Pusher (h2) = %s, want all true", h)
			}
			if tt.observe && (got.Status != http.StatusAccepted || got.Bytes != n || n != 4096 || got.Panicked) {
				t.Errorf("Observe saw %+v after %d body bytes, want status 202 and 4096 bytes", got, n)
			}
			if tt.signals {
				if total := cfg.Signals.sample(time.Second)[0]; total.Requests != 1 || total.Errors != 0 {
					t.Errorf("Signals recorded %+v, want 1 request, 0 errors", total)
				}
			}
		})
	}
}

// With MiddlewareConfig.Signals, the one wrapper records golden signals per route label: requests,
// 5xx and panics as errors, in-flight while the handler runs, and the pprof labels still apply.
func TestRouteLabelsSignals(t *testing.T) {
	sig := NewSignals(SignalsConfig{})
	var inflight int64
	var labelled bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		inflight = sig.stats("/orders/{id}").inflight.Load()
		v, ok := pprof.Label(r.Context(), LabelRoute)
		labelled = ok && v == "/orders/{id}"
		switch r.PathValue("id") {
		case "fail":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "panic":
			panic("boom")
		}
	})
	h := RouteLabels(mux, MiddlewareConfig{Signals: sig})
	for _, id := range []string{"1", "2", "fail", "panic"} {
		func() {
			defer func() { recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), "GET", "/orders/"+id, nil))
		}()
	}
	if inflight != 1 || !labelled {
		t.Errorf("inside the handler: in-flight %d, route label set %v; want 1, true", inflight, labelled)
	}
	var got RouteSignals
	for _, rs := range sig.sample(time.Second) {
		if rs.Route == "/orders/{id}" {
			got = rs
		}
	}
	if got.Requests != 4 || got.Errors != 2 || got.Panics != 1 || got.InFlight != 0 {
		t.Errorf("signals of /orders/{id} = %+v, want 4 requests, 2 errors, 1 panic, 0 in flight", got)
	}
}

func TestRouteLabelsPanic(t *testing.T) {
	var got RequestInfo
	h := RouteLabels(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), MiddlewareConfig{Observe: func(ri RequestInfo) { got = ri }})
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the handler's panic re-raised", r)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	if !got.Panicked {
		t.Errorf("Observe saw %+v, want Panicked", got)
	}
}

func TestDo(t *testing.T) {
	ctx := pprof.WithLabels(context.Background(), pprof.Labels("outer", "1"))
	var got []string
	Do(ctx, map[string]string{"b": "2", "a": "1", "": "ignored"}, func(ctx context.Context) {
		pprof.ForLabels(ctx, func(k, v string) bool { got = append(got, k+"="+v); return true })
	})
	slices.Sort(got)
	if want := []string{"a=1", "b=2", "outer=1"}; !slices.Equal(got, want) {
		t.Errorf("labels inside Do = %v, want %v", got, want)
	}
}

func TestParseLabelFilters(t *testing.T) {
	tests := []struct {
		in   []string
		want string // fmt of the filters, or "error"
	}{
		{nil, "[]"},
		{[]string{"route:/orders"}, "[route:/orders]"},
		{[]string{"route:/a:b", "method:GET", "route:/a:b"}, "[method:GET route:/a:b]"},
		{[]string{"route:"}, "[route:]"},
		{[]string{"route"}, "error"},
		{[]string{":x"}, "error"},
	}
	for _, tt := range tests {
		fs, err := ParseLabelFilters(tt.in)
		got := fmt.Sprint(fs)
		if err != nil {
			got = "error"
		}
		if got != tt.want {
			t.Errorf("ParseLabelFilters(%q) = %s (%v), want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestFilterLabels(t *testing.T) {
	p := routeProfile()
	tests := []struct {
		filters []LabelFilter
		want    []int64 // sample counts kept
	}{
		{nil, []int64{90, 10}},
		{[]LabelFilter{{LabelRoute, "/orders"}}, []int64{90}},
		{[]LabelFilter{{LabelRoute, "/health"}, {LabelMethod, "GET"}}, []int64{10}},
		{[]LabelFilter{{LabelRoute, "/health"}, {LabelMethod, "POST"}}, nil},
	}
	for _, tt := range tests {
		var got []int64
		q := FilterLabels(p, tt.filters)
		for _, s := range q.Sample {
			got = append(got, s.Value[0])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("FilterLabels(%v) samples = %v, want %v", tt.filters, got, tt.want)
		}
		if err := q.CheckValid(); err != nil {
			t.Errorf("FilterLabels(%v) is invalid: %v", tt.filters, err)
		}
	}
	if len(p.Sample) != 2 {
		t.Errorf("FilterLabels modified its input: %d samples left, want 2", len(p.Sample))
	}
}

// FuzzParseLabelFilters: any query value gives filters or an error wrapping ErrBadRequest, and
// filters print back to values that parse to the same filters.
func FuzzParseLabelFilters(f *testing.F) {
	f.Add("route:/orders", "method:GET")
	f.Add(":", "a")
	f.Fuzz(func(t *testing.T, a, b string) {
		fs, err := ParseLabelFilters([]string{a, b})
		if err != nil {
			return
		}
		var vs []string
		for _, f := range fs {
			vs = append(vs, f.String())
		}
		again, err := ParseLabelFilters(vs)
		if err != nil || !slices.Equal(again, fs) {
			t.Fatalf("ParseLabelFilters(%q) = %v, want %v", vs, again, fs)
		}
		FilterLabels(routeProfile(), fs)
	})
}
