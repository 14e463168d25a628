package profiling

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/pprof/profile"
)

// uiServer serves newUIHandler at /ui/ over loopback with load as its source.
func uiServer(t *testing.T, load profileSource) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/ui/", http.StripPrefix("/ui", newUIHandler(load)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, rawURL string) (int, string) {
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

func TestUIViews(t *testing.T) {
	cpu := childCPUProfile(t)
	var loads atomic.Int32
	srv := uiServer(t, func(ctx context.Context, q url.Values) (*profile.Profile, error) {
		loads.Add(1)
		if q.Get("kind") != "cpu" {
			return nil, fmt.Errorf("kind %q: %w", q.Get("kind"), ErrNoProfiles)
		}
		return cpu, nil
	})
	tests := []struct {
		name, path string
		status     int
		want       string // in the body (or the Location of a redirect)
	}{
		{"root redirects to flame graph", "/ui/?kind=cpu&from=1&to=2", http.StatusFound, "flamegraph?kind=cpu&from=1&to=2"},
		{"flame graph", "/ui/flamegraph?kind=cpu", http.StatusOK, "uiHotSpin"},
		{"top", "/ui/top?kind=cpu", http.StatusOK, "uiHotSpin"},
		{"peek", "/ui/peek?kind=cpu", http.StatusOK, "uiHotSpin"},
		{"source", "/ui/source?kind=cpu&f=uiHotSpin", http.StatusOK, "x = x*6364136223846793005"},
		{"download", "/ui/download?kind=cpu", http.StatusOK, ""},
		{"label filter keeps hot route", "/ui/top?kind=cpu&label=route:/orders", http.StatusOK, "uiHotSpin"},
		{"label filter with no samples", "/ui/top?kind=cpu&label=route:/nowhere", http.StatusNotFound, "no samples"},
		{"bad label", "/ui/top?kind=cpu&label=route", http.StatusBadRequest, "bad label filter"},
		{"no profiles", "/ui/top?kind=heap", http.StatusNotFound, "no profiles"},
		{"save config refused", "/ui/saveconfig?kind=cpu", http.StatusForbidden, "disabled"},
		{"unknown view", "/ui/nosuchview?kind=cpu", http.StatusNotFound, ""},
	}
	if _, err := exec.LookPath("dot"); err == nil {
		tests = append(tests, struct {
			name, path string
			status     int
			want       string
		}{"graph", "/ui/graph?kind=cpu", http.StatusOK, "<svg"})
	} else {
		t.Log("graphviz (dot) is not installed: the graph view is not tested (apt-get install graphviz)")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, srv.URL+tt.path)
			ok := strings.Contains(body, tt.want)
			if status/100 == 3 {
				ok = body == tt.want
			}
			if status != tt.status || !ok {
				t.Errorf("GET %q = %d %.300q, want %d containing %q", tt.path, status, body, tt.status, tt.want)
			}
		})
	}
	// The route filter really removes samples: the cold route's function is gone.
	if _, body := get(t, srv.URL+"/ui/top?kind=cpu&label=route:/orders"); strings.Contains(body, "uiColdSpin") {
		t.Errorf("GET top?label=route:/orders lists uiColdSpin, want it filtered out")
	}
	if _, body := get(t, srv.URL+"/ui/top?kind=cpu&label=route:/health"); !strings.Contains(body, "uiColdSpin") || strings.Contains(body, "uiHotSpin") {
		t.Errorf("GET top?label=route:/health: want uiColdSpin only")
	}
	// Views of one selection share one prepared profile.
	before := loads.Load()
	get(t, srv.URL+"/ui/top?kind=cpu&si=cpu")
	get(t, srv.URL+"/ui/flamegraph?kind=cpu&f=x")
	if got := loads.Load(); got != before {
		t.Errorf("loads after two more views of a cached selection = %d, want %d", got, before)
	}
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
