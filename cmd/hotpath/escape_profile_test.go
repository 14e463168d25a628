package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// loadEnv marks the child process that serves and profiles the loopback load.
const loadEnv = "HOTPATH_TEST_HTTP_LOAD"

// TestHelperHTTPLoad is not a test: re-run with loadEnv=DIR it drives an httptest server on loopback for
// at most 3 seconds or 20000 requests and writes DIR/cpu.pprof and DIR/allocs.pprof. The CPU profiler is
// process-wide, so it runs in a process of its own.
func TestHelperHTTPLoad(t *testing.T) {
	dir := os.Getenv(loadEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	runtime.MemProfileRate = 4096
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request", r.URL.Query().Get("id"))
		fmt.Fprintf(w, `{"path":%q,"agent":%q}`, r.URL.Path, r.UserAgent())
	}))
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for i := 0; i < 20000 && time.Now().Before(deadline); i++ {
		resp, err := client.Get(fmt.Sprintf("%s/item/%d?id=%d", srv.URL, i%100, i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	pprof.StopCPUProfile()
	if err := cpu.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	allocs, err := os.Create(filepath.Join(dir, "allocs.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	defer allocs.Close()
	if err := pprof.Lookup("allocs").WriteTo(allocs, 0); err != nil {
		t.Fatal(err)
	}
}

// lineWeight recomputes, straight from the pprof data, the weight of samples whose innermost frame
// outside the runtime is at file:line (any frame of that location's inline chain), or in fn when fn is set.
func lineWeight(p *profile.Profile, vi int, file string, line int, fn string) int64 {
	var total int64
	for _, s := range p.Sample {
	locs:
		for _, loc := range s.Location {
			runtimeOnly := true
			for _, ln := range loc.Line {
				if !strings.HasPrefix(ln.Function.Name, "runtime.") && !strings.HasPrefix(ln.Function.Name, "internal/runtime/") {
					runtimeOnly = false
				}
			}
			if runtimeOnly {
				continue
			}
			for i, ln := range loc.Line {
				if strings.HasPrefix(ln.Function.Name, "runtime.") || strings.HasPrefix(ln.Function.Name, "internal/runtime/") {
					continue
				}
				if fn != "" {
					if ln.Function.Name == fn {
						total += s.Value[vi]
					}
					break locs // only the innermost non-runtime frame counts for a function
				}
				for _, l2 := range loc.Line[i:] {
					if l2.Function.Filename == file && int(l2.Line) == line {
						total += s.Value[vi]
						break locs
					}
				}
				break locs
			}
		}
	}
	return total
}

// TestEscapeProfileNetHTTP ranks net/http's escape facts by real profiles of a loopback load and checks
// that every ranked line really carries that weight in the profile.
func TestEscapeProfileNetHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles net/http and runs a loopback load")
	}
	// Both rankings share one analysis: the second run is served from a private log store.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperHTTPLoad$", "-test.count=1")
	cmd.Env = append(os.Environ(), loadEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load helper: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		file, sampleType string
		wantHeap         bool
	}{
		{"cpu.pprof", "cpu", false},
		{"allocs.pprof", "alloc_space", true},
	} {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			out, errOut, code := runCmd(t, "escape", "-profile", path, "-top", "10", "-format", "json", "net/http")
			if code != exitOK {
				t.Fatalf("escape -profile exit = %d, stderr %q", code, errOut)
			}
			var rk struct {
				Schema string `json:"schema"`
				Total  int64  `json:"total"`
				Facts  []struct {
					Kind    string  `json:"kind"`
					Package string  `json:"package"`
					File    string  `json:"file"`
					Line    int     `json:"line"`
					Subject string  `json:"subject"`
					Weight  int64   `json:"weight"`
					Share   float64 `json:"share"`
				} `json:"facts"`
			}
			if err := json.Unmarshal([]byte(out), &rk); err != nil {
				t.Fatalf("escape -profile -format json: %v\n%s", err, out)
			}
			if rk.Schema != "hotpath.escape.ranked/v1" || len(rk.Facts) == 0 || len(rk.Facts) > 10 {
				t.Fatalf("ranking = schema %q with %d facts, want hotpath.escape.ranked/v1 with 1–10", rk.Schema, len(rk.Facts))
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, err := profile.Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			vi := -1
			for i, st := range p.SampleType {
				if st.Type == tt.sampleType {
					vi = i
				}
			}
			heap := false
			for i, fact := range rk.Facts {
				if i > 0 && fact.Weight > rk.Facts[i-1].Weight {
					t.Errorf("fact %d weight %d > fact %d weight %d, want heaviest first", i, fact.Weight, i-1, rk.Facts[i-1].Weight)
				}
				fn := ""
				if fact.Kind == "not-inlinable" {
					fn = fact.Package + "." + fact.Subject
				}
				if got := lineWeight(p, vi, fact.File, fact.Line, fn); got != fact.Weight || got <= 0 {
					t.Errorf("%s:%d %s %s: ranked weight %d, profile has %d at that line", fact.File, fact.Line, fact.Kind, fact.Subject, fact.Weight, got)
				}
				if want := float64(fact.Weight) / float64(rk.Total); fact.Share != want {
					t.Errorf("%s:%d share = %v, want %v", fact.File, fact.Line, fact.Share, want)
				}
				if !strings.Contains(fact.File, "net/http/") {
					t.Errorf("ranked fact in %s, want net/http files only", fact.File)
				}
				heap = heap || fact.Kind == "heap"
			}
			if tt.wantHeap && !heap {
				t.Errorf("allocation ranking has no heap fact in its top %d: %+v", len(rk.Facts), rk.Facts)
			}
		})
	}
}
