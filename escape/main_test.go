package escape

import (
	"flag"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/go1.NN/")

// profileEnv makes the test binary write a short CPU profile to the named file and exit: the CPU profiler
// is process-wide, so tests that need a real profile get it from a child process.
const profileEnv = "HOTPATH_ESCAPE_TEST_CPUPROFILE"

func TestMain(m *testing.M) {
	if path := os.Getenv(profileEnv); path != "" {
		os.Exit(writeProfile(path))
	}
	goleak.VerifyTestMain(m)
}

func writeProfile(path string) int {
	f, err := os.Create(path)
	if err != nil {
		return 1
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return 1
	}
	x := 0
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	pprof.StopCPUProfile()
	if f.Close() != nil || x == 0 {
		return 1
	}
	return 0
}
