package profiling

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// uiGet fetches rawURL without following redirects and returns the status and the body (or, for a
// redirect, the Location header).
func uiGet(t *testing.T, rawURL string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode/100 == 3 {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(body)
}

// routeProfile builds a CPU profile whose samples run main.hot under route /orders (90 samples) and
// main.cold under route /health (10 samples).
func routeProfile() *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 10_000_000,
		TimeNanos: time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC).UnixNano(), DurationNanos: int64(time.Second),
	}
	for i, f := range []struct {
		name, route string
		n           int64
	}{{"main.hot", "/orders", 90}, {"main.cold", "/health", 10}} {
		fn := &profile.Function{ID: uint64(i + 1), Name: f.name, SystemName: f.name, Filename: "main.go"}
		loc := &profile.Location{ID: uint64(i + 1), Address: uint64(0x1000 * (i + 1)), Line: []profile.Line{{Function: fn, Line: int64(10 * (i + 1))}}}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, loc)
		p.Sample = append(p.Sample, &profile.Sample{
			Location: []*profile.Location{loc}, Value: []int64{f.n, f.n * 10_000_000},
			Label: map[string][]string{LabelRoute: {f.route}, LabelMethod: {"GET"}},
		})
	}
	return p
}

// uiServer serves newUIHandler at /ui/ over loopback with load as its source.
func uiServer(t *testing.T, load profileSource) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/ui/", http.StripPrefix("/ui", newUIHandler(load)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type uiCase struct {
	name, path string
	status     int
	want       string // in the body; for a redirect, the exact Location
	notWant    string // must not be in the body
}

func runUICases(t *testing.T, base string, tests []uiCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := uiGet(t, base+tt.path)
			ok := strings.Contains(body, tt.want) && (tt.notWant == "" || !strings.Contains(body, tt.notWant))
			if status/100 == 3 {
				ok = body == tt.want
			}
			if status != tt.status || !ok {
				t.Errorf("GET %q = %d %.300q, want %d with %q and without %q", tt.path, status, body, tt.status, tt.want, tt.notWant)
			}
		})
	}
}

func TestUIHandler(t *testing.T) {
	var loads atomic.Int32
	srv := uiServer(t, func(ctx context.Context, q url.Values) (*profile.Profile, error) {
		loads.Add(1)
		if q.Get("kind") != "cpu" {
			return nil, fmt.Errorf("profiling: kind %q: %w", q.Get("kind"), ErrNotFound)
		}
		return routeProfile(), nil
	})
	runUICases(t, srv.URL, []uiCase{
		{"root redirects to flame graph", "/ui/?kind=cpu&from=1&to=2", http.StatusFound, "flamegraph?kind=cpu&from=1&to=2", ""},
		{"flame graph", "/ui/flamegraph?kind=cpu", http.StatusOK, "main.hot", ""},
		{"top", "/ui/top?kind=cpu", http.StatusOK, "main.cold", ""},
		{"peek", "/ui/peek?kind=cpu", http.StatusOK, "main.hot", ""},
		{"download", "/ui/download?kind=cpu", http.StatusOK, "", ""},
		{"label filter keeps its route", "/ui/top?kind=cpu&label=route:/orders", http.StatusOK, "main.hot", "main.cold"},
		{"label filter, other route", "/ui/top?kind=cpu&label=route:/health", http.StatusOK, "main.cold", "main.hot"},
		{"two label filters", "/ui/top?kind=cpu&label=route:/health&label=method:GET", http.StatusOK, "main.cold", "main.hot"},
		{"label filter with no samples", "/ui/top?kind=cpu&label=route:/nowhere", http.StatusNotFound, "no samples carry", ""},
		{"bad label", "/ui/top?kind=cpu&label=route", http.StatusBadRequest, "want key:value", ""},
		{"no profiles", "/ui/top?kind=heap", http.StatusNotFound, "no profile in range", ""},
		{"save config refused", "/ui/saveconfig?kind=cpu", http.StatusForbidden, "disabled", ""},
		{"disassembly reads no binary", "/ui/disasm?kind=cpu&f=main.hot", http.StatusNotImplemented, "go tool pprof", ""},
		{"unknown view", "/ui/nosuchview?kind=cpu", http.StatusNotFound, "", ""},
	})
	if _, err := exec.LookPath("dot"); err == nil {
		runUICases(t, srv.URL, []uiCase{{"graph", "/ui/graph?kind=cpu", http.StatusOK, "<svg", ""}})
	} else {
		t.Log("graphviz (dot) is not installed: the graph view is not checked (apt-get install graphviz)")
	}
	// Views of one selection share one prepared profile; the pprof parameters do not count.
	before := loads.Load()
	uiGet(t, srv.URL+"/ui/top?kind=cpu&si=cpu")
	uiGet(t, srv.URL+"/ui/flamegraph?kind=cpu&f=x")
	if got := loads.Load(); got != before {
		t.Errorf("loads after two more views of a cached selection = %d, want %d", got, before)
	}
}

func TestUIConcurrentSelections(t *testing.T) {
	srv := uiServer(t, func(ctx context.Context, q url.Values) (*profile.Profile, error) { return routeProfile(), nil })
	var wg sync.WaitGroup
	for i := range 3 * uiCacheEntries {
		wg.Go(func() {
			path := fmt.Sprintf("/ui/top?kind=cpu&from=%d", i%(2*uiCacheEntries))
			if status, body := uiGet(t, srv.URL+path); status != http.StatusOK || !strings.Contains(body, "main.hot") {
				t.Errorf("GET %s = %d, want 200 listing main.hot", path, status)
			}
		})
	}
	wg.Wait()
}

func TestUIKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"kind=cpu&from=1&to=2", "to=2&from=1&kind=cpu", true},
		{"kind=cpu&si=samples", "kind=cpu&f=main", true},
		{"kind=cpu&label=b:1&label=a:2", "kind=cpu&label=a:2&label=b:1", true},
		{"kind=cpu", "kind=heap", false},
		{"kind=cpu&label=route:/a", "kind=cpu", false},
	}
	for _, tt := range tests {
		qa, _ := url.ParseQuery(tt.a)
		qb, _ := url.ParseQuery(tt.b)
		if got := uiKey(qa) == uiKey(qb); got != tt.same {
			t.Errorf("uiKey(%q) == uiKey(%q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

//go:noinline
func uiHotSpin(n int) uint64 {
	x := uint64(1)
	for i := range n {
		x = x*6364136223846793005 + uint64(i)
	}
	return x
}

//go:noinline
func uiColdSpin(n int) uint64 {
	x := uint64(7)
	for i := range n {
		x ^= x<<13 + uint64(i)
	}
	return x
}

// hotService starts a Profiler (1 s windows, CPU profiled throughout) while uiHotSpin runs under the
// route label /orders and uiColdSpin under /health, waits until the store holds two CPU windows, and
// serves the Profiler's Handler over loopback. Call it in a subprocess only: the Profiler owns the
// process-wide CPU profiler.
func hotService(t *testing.T) (*Profiler, *httptest.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var sink uint64
		for ctx.Err() == nil {
			Do(ctx, map[string]string{LabelRoute: "/orders"}, func(context.Context) { sink += uiHotSpin(1 << 16) })
			Do(ctx, map[string]string{LabelRoute: "/health"}, func(context.Context) { sink += uiColdSpin(1 << 12) })
		}
		_ = sink
	}()
	t.Cleanup(func() { cancel(); <-done })
	p := startTest(t, Config{Service: "orders-svc", Period: time.Second, CPUDuration: time.Second, Kinds: []Kind{KindCPU}})
	waitFor(t, "two CPU windows in the store", func() bool { return len(p.Store().List(KindCPU, time.Time{}, time.Time{})) >= 2 })
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	return p, srv
}

// TestUIOnProfiler checks the UI and the label filter of /api/profile on a real Profiler's store.
func TestUIOnProfiler(t *testing.T) {
	if !inSubprocess(t) {
		return
	}
	p, srv := hotService(t)
	es := p.Store().List(KindCPU, time.Time{}, time.Time{})
	full := es[0] // the longest window: the first one is partial (it ends at the next period boundary)
	for _, e := range es {
		if e.End.Sub(e.Start) > full.End.Sub(full.Start) {
			full = e
		}
	}
	window := fmt.Sprintf("from=%s&to=%s", url.QueryEscape(full.Start.Format(time.RFC3339Nano)), url.QueryEscape(full.End.Format(time.RFC3339Nano)))
	runUICases(t, srv.URL, []uiCase{
		{"index links to the UI", "/", http.StatusOK, `href="ui/?kind=cpu&amp;from=-1h"`, ""},
		{"index links windows to the UI", "/", http.StatusOK, `href="ui/?kind=cpu&amp;from=` + strings.ReplaceAll(es[len(es)-1].Start.UTC().Format(time.RFC3339Nano), ":", "%3a") + "&amp;to=", ""},
		{"ui root", "/ui/?kind=cpu&from=-1h", http.StatusFound, "flamegraph?kind=cpu&from=-1h", ""},
		{"flame graph", "/ui/flamegraph?kind=cpu&from=-1h", http.StatusOK, "uiHotSpin", ""},
		{"one window", "/ui/top?kind=cpu&" + window, http.StatusOK, "uiHotSpin", ""},
		{"source", "/ui/source?kind=cpu&f=uiHotSpin", http.StatusOK, "x = x*6364136223846793005", ""},
		{"kind defaults to cpu", "/ui/top", http.StatusOK, "uiHotSpin", ""},
		{"bad kind", "/ui/top?kind=nope", http.StatusBadRequest, "unknown kind", ""},
		{"bad range", "/ui/top?kind=cpu&from=yesterday", http.StatusBadRequest, "from=", ""},
		{"route filter in the UI", "/ui/top?kind=cpu&label=route:/health", http.StatusOK, "uiColdSpin", "uiHotSpin"},
	})
	for _, tt := range []struct {
		label     string
		hot, cold bool
	}{{"route:/orders", true, false}, {"route:/health", false, true}} {
		status, body := uiGet(t, srv.URL+"/api/profile?kind=cpu&label="+url.QueryEscape(tt.label))
		if status != http.StatusOK {
			t.Fatalf("GET /api/profile?label=%s = %d %s", tt.label, status, body)
		}
		prof, err := profile.ParseData([]byte(body))
		if err != nil {
			t.Fatalf("/api/profile?label=%s: %v", tt.label, err)
		}
		if hot, cold := hasFunc(prof, "uiHotSpin"), hasFunc(prof, "uiColdSpin"); hot != tt.hot || cold != tt.cold {
			t.Errorf("/api/profile?label=%s has uiHotSpin %v, uiColdSpin %v, want %v, %v", tt.label, hot, cold, tt.hot, tt.cold)
		}
	}
	if status, _ := uiGet(t, srv.URL+"/api/profile?kind=cpu&label=route"); status != http.StatusBadRequest {
		t.Errorf("GET /api/profile?label=route = %d, want 400", status)
	}
}

func hasFunc(p *profile.Profile, suffix string) bool {
	for _, s := range p.Sample {
		for _, l := range s.Location {
			for _, line := range l.Line {
				if strings.HasSuffix(line.Function.Name, suffix) {
					return true
				}
			}
		}
	}
	return false
}

// chromium returns the path of a headless-capable Chromium, or skips the test saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("SKIPPED: no Chromium on PATH, so the flame graph is not checked in a real browser (apt-get install -y chromium)")
	return ""
}

// renderedDOM loads pageURL in headless Chromium and returns the DOM after the page's scripts ran.
func renderedDOM(t *testing.T, browser, pageURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--window-size=1600,1200", "--virtual-time-budget=10000",
		"--dump-dom", pageURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom %s: %v\n%s", pageURL, err, stderr.Bytes())
	}
	return stdout.String()
}

// boxText matches the labels the flame graph script draws into its boxes.
var boxText = regexp.MustCompile(`<div class="boxtext"[^>]*>([^<]*)</div>`)

// TestUIFlameGraphInChromium opens the flame graph of a running Profiler in a real headless Chromium
// and checks that the page's script drew a box labelled with the hot function. The served HTML holds
// function names only inside a script; box labels exist only once the script ran in the browser.
func TestUIFlameGraphInChromium(t *testing.T) {
	browser := chromium(t)
	if !inSubprocess(t) {
		return
	}
	_, srv := hotService(t)
	if _, served := uiGet(t, srv.URL+"/ui/flamegraph?kind=cpu"); boxText.MatchString(served) {
		t.Fatalf("served flame graph HTML already contains box labels; the browser check would prove nothing")
	}
	dom := renderedDOM(t, browser, srv.URL+"/ui/?kind=cpu&from=-1h")
	var labels []string
	hot := false
	for _, m := range boxText.FindAllStringSubmatch(dom, -1) {
		l := html.UnescapeString(m[1])
		labels = append(labels, l)
		hot = hot || strings.HasSuffix(l, "uiHotSpin")
	}
	if !hot {
		i := max(0, strings.Index(dom, `id="stack-chart"`))
		t.Errorf("flame graph boxes drawn by Chromium = %q, want one labelled …uiHotSpin; page: %.2000s", labels, dom[i:])
	}
}
