package profiling

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// childEnv marks a re-run of the test binary that does one process-wide thing (own the CPU profiler)
// and exits; its value names the job, as "job:arg".
const childEnv = "HOTPATH_PROFILING_TEST_CHILD"

// runChild runs the job named by spec in this (child) process and returns its exit code.
func runChild(spec string) int {
	job, arg, _ := cut(spec)
	switch job {
	case "cpuprofile":
		// Profile uiHotSpin, labelled as two routes, for about a second, into the file arg.
		f, err := os.Create(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		deadline := time.Now().Add(time.Second)
		var sink uint64
		for time.Now().Before(deadline) {
			Do(context.Background(), map[string]string{"route": "/orders"}, func(context.Context) { sink += uiHotSpin(1 << 16) })
			Do(context.Background(), map[string]string{"route": "/health"}, func(context.Context) { sink += uiColdSpin(1 << 12) })
		}
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(sink != 1) // keep the loops
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown child job %q\n", job)
	return 2
}

func cut(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
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

// childCPUProfile re-runs the test binary to profile uiHotSpin for about a second and returns the
// parsed CPU profile. The CPU profiler is process-wide, so it never runs in the test process itself.
func childCPUProfile(t *testing.T) *profile.Profile {
	t.Helper()
	path := t.TempDir() + "/cpu.pprof"
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=cpuprofile:"+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child cpuprofile: %v: %s", err, stderr.Bytes())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.ParseData(data)
	if err != nil {
		t.Fatalf("parse child profile: %v", err)
	}
	return p
}
