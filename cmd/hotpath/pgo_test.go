package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/hotpath-dev/hotpath/profiling"
)

// cpuWindow encodes a CPU profile of one window: main.main calls main.hot (hot samples) and main.cold
// (cold samples), labelled with the instance as the profiler labels its windows.
func cpuWindow(t *testing.T, instance string, start time.Time, length time.Duration, hot, cold int64) []byte {
	t.Helper()
	fns := []*profile.Function{
		{ID: 1, Name: "main.main", SystemName: "main.main", Filename: "main.go", StartLine: 9},
		{ID: 2, Name: "main.hot", SystemName: "main.hot", Filename: "main.go", StartLine: 19},
		{ID: 3, Name: "main.cold", SystemName: "main.cold", Filename: "main.go", StartLine: 29},
	}
	locs := make([]*profile.Location, len(fns))
	for i, fn := range fns {
		locs[i] = &profile.Location{ID: uint64(i + 1), Address: uint64(0x1000 * (i + 1)), Line: []profile.Line{{Function: fn, Line: int64(10 * (i + 1))}}}
	}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 10_000_000,
		TimeNanos: start.UnixNano(), DurationNanos: int64(length),
		Function: fns, Location: locs,
		Comments: []string{"hotpath:instance=" + instance, "hotpath:service=shop"},
	}
	for _, s := range []struct {
		leaf *profile.Location
		n    int64
	}{{locs[1], hot}, {locs[2], cold}} {
		if s.n > 0 {
			p.Sample = append(p.Sample, &profile.Sample{
				Location: []*profile.Location{s.leaf, locs[0]}, Value: []int64{s.n, s.n * 10_000_000},
				Label: map[string][]string{"route": {"/orders"}},
			})
		}
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pgoStore writes a store with CPU windows of 10 s: three from instance a, two from b, one partial
// window of 4 s from b, and one from a two hours ago. Each full window holds 90 hot and 10 cold samples.
func pgoStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s, err := profiling.OpenStore(profiling.StoreConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(10 * time.Second)
	put := func(instance string, start time.Time, length time.Duration, hot, cold int64) {
		t.Helper()
		_, err := s.Put(t.Context(), profiling.Profile{Kind: profiling.KindCPU, Start: start, End: start.Add(length), Source: "window",
			Data: cpuWindow(t, instance, start, length, hot, cold)})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		put("a", now.Add(-time.Duration(10*(i+1))*time.Second), 10*time.Second, 90, 10)
	}
	for i := range 2 {
		put("b", now.Add(-time.Duration(10*(i+4))*time.Second), 10*time.Second, 90, 10)
	}
	put("b", now.Add(-time.Minute), 4*time.Second, 50, 50)
	put("a", now.Add(-2*time.Hour), 10*time.Second, 90, 10)
	return dir
}

func TestPGO(t *testing.T) {
	dir := pgoStore(t)
	// The same store behind a running Profiler's endpoint.
	p, err := profiling.Start(profiling.Config{Dir: dir, Kinds: []profiling.Kind{profiling.KindHeap}, Period: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()

	tests := []struct {
		name    string
		args    []string // after -o OUT
		want    []string // in stdout
		samples int64
	}{
		{"store directory, last hour", []string{dir}, []string{"5 CPU windows of 10s from 2 instances, 500 samples", "skipped 1 windows", "instance a", "90.0%  main.hot", "10.0%  main.cold"}, 500},
		{"endpoint, last hour", []string{srv.URL}, []string{"5 CPU windows of 10s from 2 instances", "skipped 1"}, 500},
		{"endpoint with a trailing slash and a header", []string{"-header", "X-Token: 1", srv.URL + "/"}, []string{"5 CPU windows"}, 500},
		{"everything stored", []string{"-window", "0", dir}, []string{"6 CPU windows of 10s from 2 instances, 600 samples"}, 600},
		{"two sources add up", []string{dir, srv.URL}, []string{"10 CPU windows"}, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "default.pgo")
			var stdout, stderr bytes.Buffer
			args := append([]string{"pgo", "-o", out}, tt.args...)
			if err := run(t.Context(), args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q) = %v; stderr %s", args, err, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("run(%q) printed %q, want it to contain %q", args, stdout.String(), w)
				}
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			m, err := profile.ParseData(data)
			if err != nil {
				t.Fatalf("%s does not parse: %v", out, err)
			}
			var n int64
			for _, s := range m.Sample {
				n += s.Value[0]
				if len(s.Label) != 0 {
					t.Errorf("merged sample keeps labels %v, want none", s.Label)
				}
			}
			if n != tt.samples {
				t.Errorf("merged samples = %d, want %d", n, tt.samples)
			}
		})
	}
}

func TestPGOErrors(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, []byte("x"), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no source", []string{"pgo"}, exitUsage, "no SOURCE"},
		{"missing directory", []string{"pgo", filepath.Join(empty, "nope")}, exitUsage, "neither an http(s) URL nor a store directory"},
		{"a file", []string{"pgo", file}, exitUsage, "not a directory"},
		{"negative window", []string{"pgo", "-window", "-1h", empty}, exitUsage, "negative"},
		{"bad header", []string{"pgo", "-header", "nocolon", empty}, exitUsage, ""},
		{"empty store", []string{"pgo", "-o", filepath.Join(empty, "out.pgo"), empty}, exitUnknown, "no CPU windows"},
		{"endpoint down", []string{"pgo", "http://127.0.0.1:1"}, exitUnknown, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := report(run(t.Context(), tt.args, &stdout, &stderr), &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("run(%q) = exit %d, stderr %q, want exit %d with %q", tt.args, code, stderr.String(), tt.code, tt.msg)
			}
		})
	}
}

// TestPGOProfileBuilds checks that the go command accepts the merged profile: a program built with
// -pgo records it in its build info.
func TestPGOProfileBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with PGO (rebuilds the runtime with the profile): skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("SKIPPED: no go command on PATH")
	}
	dir := t.TempDir()
	pgo := filepath.Join(dir, "merged.pgo")
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"pgo", "-o", pgo, pgoStore(t)}, &stdout, &stderr); err != nil {
		t.Fatalf("hotpath pgo: %v: %s", err, stderr.String())
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module pgoprog\n\ngo 1.26\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc hot(n int) int {\n\tfor i := range n {\n\t\tn ^= i\n\t}\n\treturn n\n}\n\nfunc main() { println(hot(10)) }\n"), 0o600)
	bin := filepath.Join(dir, "prog")
	cmd := exec.CommandContext(t.Context(), gobin, "build", "-pgo="+pgo, "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -pgo=%s: %v\n%s", pgo, err, out)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, s := range info.Settings {
		if s.Key == "-pgo" {
			got = s.Value
		}
	}
	if got != pgo {
		t.Errorf("build info -pgo = %q, want %q", got, pgo)
	}
}
