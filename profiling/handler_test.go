package profiling

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestHandlerGuard(t *testing.T) {
	deny := errors.New("token required")
	tests := []struct {
		name      string
		authorize func(*http.Request) error
		remote    string
		want      int
	}{
		{"loopback v4 without hook", nil, "127.0.0.1:5000", 200},
		{"loopback v6 without hook", nil, "[::1]:5000", 200},
		{"remote without hook", nil, "192.0.2.7:5000", 403},
		{"remote with hook that allows", func(*http.Request) error { return nil }, "192.0.2.7:5000", 200},
		{"loopback with hook that denies", func(*http.Request) error { return deny }, "127.0.0.1:5000", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startTest(t, Config{NoStore: true, Kinds: []Kind{KindHeap}, Authorize: tt.authorize})
			req := httptest.NewRequest("GET", "/api/stats", nil)
			req.RemoteAddr = tt.remote
			rec := httptest.NewRecorder()
			p.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("GET /api/stats from %s = %d, want %d (%s)", tt.remote, rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestHandlerBadRequests(t *testing.T) {
	p := startTest(t, Config{Kinds: []Kind{KindHeap}})
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	tests := []struct {
		path string
		code int
		says string
	}{
		{"/api/profile", 400, "kind is required"},
		{"/api/profile?kind=bogus", 400, `kind="bogus"`},
		{"/api/profile?kind=heap&from=yesterday", 400, `from="yesterday"`},
		{"/api/profile?kind=heap&from=now&to=-1h", 400, "from is after to"},
		{"/api/profile?kind=trace", 400, "not a pprof kind"},
		{"/api/profile?kind=cpu", 404, "no profile in range"},
		{"/api/profiles?kind=x", 400, `kind="x"`},
		{"/api/diff?kind=heap", 400, "base_from or base_to is required"},
		{"/debug/pprof/profile?seconds=0", 400, `seconds="0"`},
		{"/debug/pprof/profile?seconds=abc", 400, `seconds="abc"`},
		{"/debug/pprof/profile?seconds=3600", 400, "over the limit of 60"},
		{"/debug/pprof/trace?seconds=-1", 400, `seconds="-1"`},
		{"/debug/pprof/heap?debug=9", 400, `debug="9"`},
		{"/debug/pprof/heap?seconds=1&debug=1", 400, "cannot be combined"},
		{"/debug/pprof/nosuch", 404, "unknown profile"},
		{"/debug/pprof/cmdline", 404, "cmdline is off"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body := get(t, srv, tt.path)
			line := string(body)
			if code != tt.code || !strings.Contains(line, tt.says) || strings.Count(line, "\n") != 1 {
				t.Errorf("GET %s = %d %q, want %d and one line containing %q", tt.path, code, line, tt.code, tt.says)
			}
		})
	}
}

func TestHandlerRangeAPI(t *testing.T) {
	p := startTest(t, Config{Service: "svc", Kinds: []Kind{KindHeap, KindGoroutine}})
	for range 2 {
		if err := p.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()

	code, body := get(t, srv, "/api/profiles?kind=goroutine&from=-1h")
	var list struct {
		Labels  map[string]string
		Entries []Entry
	}
	if err := json.Unmarshal(body, &list); code != 200 || err != nil {
		t.Fatalf("GET /api/profiles = %d %v", code, err)
	}
	if len(list.Entries) != 2 || list.Labels["service"] != "svc" {
		t.Errorf("GET /api/profiles = %d entries, labels %v; want 2, service=svc", len(list.Entries), list.Labels)
	}
	for _, path := range []string{
		"/api/profile?kind=goroutine&from=-1h&to=now",
		"/api/diff?kind=goroutine&from=-1h&base_from=-2h&base_to=now",
		"/debug/pprof/heap",
		"/debug/pprof/allocs",
		"/debug/pprof/goroutine",
		"/debug/pprof/goroutine?seconds=1",
		"/debug/pprof/mutex",
		"/debug/pprof/block",
		"/debug/pprof/threadcreate",
	} {
		code, body := get(t, srv, path)
		if code != 200 {
			t.Errorf("GET %s = %d %s, want 200", path, code, body)
			continue
		}
		pr, err := profile.ParseData(body)
		if err != nil {
			t.Errorf("GET %s: ParseData = %v", path, err)
			continue
		}
		if strings.HasPrefix(path, "/api/profile") && len(pr.Sample) == 0 {
			t.Errorf("GET %s: no samples", path)
		}
		if strings.HasPrefix(path, "/api/diff") && len(pr.Sample) == 0 {
			t.Errorf("GET %s: no samples", path)
		}
	}
	for _, path := range []string{"/", "/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/api/stats"} {
		if code, body := get(t, srv, path); code != 200 || len(body) == 0 {
			t.Errorf("GET %s = %d (%d bytes), want 200", path, code, len(body))
		}
	}
}

func TestHandlerTraceIsOneAtATime(t *testing.T) {
	p := startTest(t, Config{NoStore: true, Kinds: []Kind{KindHeap}})
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	first := make(chan int, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		code, _ := get(t, srv, "/debug/pprof/trace?seconds=2")
		first <- code
	})
	deadline := time.Now().Add(5 * time.Second)
	for !p.traceCapture.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if code, body := get(t, srv, "/debug/pprof/trace?seconds=1"); code != 429 {
		t.Errorf("second GET /debug/pprof/trace = %d %s, want 429", code, body)
	}
	wg.Wait()
	if code := <-first; code != 200 {
		t.Errorf("first GET /debug/pprof/trace = %d, want 200", code)
	}
}

// TestHandlerCPUWhileContinuous: /debug/pprof/profile is served by the CPU owner while the window's CPU
// profile runs; a second concurrent request gets 429 at once; a cancelled request stops promptly.
func TestHandlerCPUWhileContinuous(t *testing.T) {
	if !inSubprocess(t) {
		return
	}
	p := startTest(t, Config{Kinds: []Kind{KindCPU}, Period: time.Hour, CPUDuration: time.Hour})
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go spin(ctx)

	first := make(chan []byte, 1)
	go func() {
		code, body := get(t, srv, "/debug/pprof/profile?seconds=1")
		if code != 200 {
			t.Errorf("GET /debug/pprof/profile = %d %s", code, body)
		}
		first <- body
	}()
	for !p.cpuCapture.Load() {
		time.Sleep(time.Millisecond)
	}
	t0 := time.Now()
	if code, _ := get(t, srv, "/debug/pprof/profile?seconds=1"); code != 429 {
		t.Errorf("concurrent GET /debug/pprof/profile = %d, want 429", code)
	}
	if d := time.Since(t0); d > 500*time.Millisecond {
		t.Errorf("429 took %v, want at once", d)
	}
	pr, err := profile.ParseData(<-first)
	if err != nil || !hasFunction(pr, "spin") {
		t.Fatalf("GET /debug/pprof/profile: %v, want a profile with spin", err)
	}

	rctx, rcancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer rcancel()
	req, _ := http.NewRequestWithContext(rctx, "GET", srv.URL+"/debug/pprof/profile?seconds=30", nil)
	t0 = time.Now()
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
	}
	for p.cpuCapture.Load() && time.Since(t0) < 5*time.Second {
		time.Sleep(5 * time.Millisecond)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("cancelled CPU capture ended after %v, want promptly", d)
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, srv, "/api/profile?kind=cpu")
	if pr, err := profile.ParseData(body); code != 200 || err != nil || !hasFunction(pr, "spin") {
		t.Errorf("GET /api/profile?kind=cpu = %d %v, want the window with spin", code, err)
	}
}
