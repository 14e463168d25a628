package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startService runs the service in-process and returns its base URL.
func startService(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("service output: %v", err)
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run() = %v, want nil", err)
		}
	})
	return strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
}

func load(ctx context.Context, url string) {
	body := `{"customer":"ada","items":[{"sku":"a","quantity":12,"cents":150},{"sku":"b","quantity":1,"cents":999}]}`
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/orders", strings.NewReader(body))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}

func fetch(t *testing.T, url string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestServiceServesProfilesWithinOnePeriod is the done-when check: under load, /api/profiles lists CPU
// windows within one period, /api/profile?kind=cpu merges them, and /debug/pprof/profile?seconds=2 works
// while the windows go on.
func TestServiceServesProfilesWithinOnePeriod(t *testing.T) {
	url := startService(t, "-period", "1s", "-cpu", "800ms", "-dir", t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	for range 4 {
		go load(ctx, url)
	}
	var list struct{ Entries []struct{ Kind string } }
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b := fetch(t, url+"/api/profiles?kind=cpu")
		json.Unmarshal(b, &list)
		if len(list.Entries) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(list.Entries) < 2 {
		t.Fatalf("GET /api/profiles?kind=cpu = %d entries after 10 periods, want >= 2", len(list.Entries))
	}
	for _, path := range []string{"/api/profile?kind=cpu", "/debug/pprof/profile?seconds=2"} {
		code, b := fetch(t, url+path)
		p, err := profile.ParseData(b)
		if code != 200 || err != nil {
			t.Fatalf("GET %s = %d, %v", path, code, err)
		}
		found := false
		for _, f := range p.Function {
			found = found || strings.Contains(f.Name, "examples/service/app.")
		}
		if !found {
			t.Errorf("GET %s: profile lacks examples/service/app functions: %d samples, %v", path, len(p.Sample), time.Duration(p.DurationNanos))
		}
	}
}

func TestServiceWithoutProfiler(t *testing.T) {
	url := startService(t, "-no-profiling")
	if code, _ := fetch(t, url+"/api/profiles"); code != 404 {
		t.Errorf("GET /api/profiles without profiler = %d, want 404", code)
	}
	if code, b := fetch(t, url+"/healthz"); code != 200 || string(b) != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", code, b)
	}
}
