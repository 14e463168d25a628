// Package escape times "hotpath escape" against the raw compiler run it replaces,
// go build -gcflags=-m=2, on the same cache state.
//
//	cd benchmarks && go test -timeout 0 -run '^$' -bench NetHTTP -benchtime 3x ./escape
//
// Each iteration runs, interleaved: a raw cold build and a hotpath cold run (each with a fresh GOCACHE and,
// for hotpath, a fresh cache directory), then a re-run of each on the cache the cold run left. The metrics
// are medians per iteration in seconds, plus the two ratios the speed goals are stated in:
// cold-ratio (hotpath cold / raw cold, goal ≤ 1.1) and rerun-ratio (hotpath re-run / hotpath cold,
// goal ≤ 0.3). With -short (the CI smoke run) both sides use the shared build cache and, unless -pkg is
// given, the small package errors: the numbers are then meaningless, the steps are checked.
package escape

import (
	"context"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var pkg = flag.String("pkg", "net/http", "package to analyse")

func buildHotpath(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "hotpath")
	// Built in the root module, whose go.sum covers hotpath's dependencies (this module's does not).
	cmd := exec.CommandContext(b.Context(), "go", "build", "-o", bin, "./cmd/hotpath")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build hotpath: %v\n%s", err, out)
	}
	return bin
}

func flagSet(name string) (set bool) {
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// timed runs name args in dir with env added and returns the wall time.
func timed(ctx context.Context, b *testing.B, dir string, env []string, name string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %q: %v", name, args, err)
	}
	return time.Since(start)
}

// median of the runs in seconds (the mean of the middle two for an even count).
func median(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]).Seconds() / 2
	}
	return s[n/2].Seconds()
}

func BenchmarkNetHTTP(b *testing.B) {
	if testing.Short() && !flagSet("pkg") {
		*pkg = "errors" // small: the smoke run checks the steps, not the numbers
	}
	hotpath := buildHotpath(b)
	work := b.TempDir()
	var rawCold, hpCold, rawRerun, hpRerun []time.Duration
	for b.Loop() {
		b.StopTimer()
		rawCache, hpCache, hpStore := b.TempDir(), b.TempDir(), b.TempDir()
		rawEnv := []string{"GOCACHE=" + rawCache}
		hpEnv := []string{"GOCACHE=" + hpCache, "XDG_CACHE_HOME=" + hpStore}
		if testing.Short() {
			// The CI smoke run (-short -benchtime=1x): the same steps on the shared build cache, so the
			// code path is exercised without two cold builds of a package closure (minutes on 2 cores).
			rawEnv, hpEnv = nil, []string{"XDG_CACHE_HOME=" + hpStore}
		}
		b.StartTimer()
		rawCold = append(rawCold, timed(b.Context(), b, work, rawEnv, "go", "build", "-gcflags=-m=2", *pkg))
		hpCold = append(hpCold, timed(b.Context(), b, work, hpEnv, hotpath, "escape", *pkg))
		rawRerun = append(rawRerun, timed(b.Context(), b, work, rawEnv, "go", "build", "-gcflags=-m=2", *pkg))
		hpRerun = append(hpRerun, timed(b.Context(), b, work, hpEnv, hotpath, "escape", *pkg))
		n := len(hpRerun) - 1
		b.Logf("run %d: raw cold %v, hotpath cold %v, raw re-run %v, hotpath re-run %v", n+1,
			rawCold[n].Round(time.Millisecond), hpCold[n].Round(time.Millisecond), rawRerun[n].Round(time.Millisecond), hpRerun[n].Round(time.Millisecond))
	}
	b.ReportMetric(median(rawCold), "raw-cold-s")
	b.ReportMetric(median(hpCold), "hotpath-cold-s")
	b.ReportMetric(median(rawRerun), "raw-rerun-s")
	b.ReportMetric(median(hpRerun), "hotpath-rerun-s")
	b.ReportMetric(median(hpCold)/median(rawCold), "cold-ratio")
	b.ReportMetric(median(hpRerun)/median(hpCold), "rerun-ratio")
}
