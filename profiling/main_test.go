package profiling

import (
	"os"
	"os/exec"
	"testing"

	"go.uber.org/goleak"
)

// subprocessEnv marks a re-run of the test binary that owns the process-wide CPU profiler alone.
const subprocessEnv = "HOTPATH_PROFILING_SUBPROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(subprocessEnv) != "" {
		os.Exit(m.Run()) // a clean process: goleak is checked by the parent's own run
	}
	goleak.VerifyTestMain(m)
}

// inSubprocess re-runs the calling test in a fresh test binary (so the process-wide CPU profiler is
// untouched) and fails t if it fails. It reports true inside the child, where the test body should run.
func inSubprocess(t *testing.T) bool {
	t.Helper()
	if os.Getenv(subprocessEnv) == t.Name() {
		return true
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), subprocessEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("subprocess %s: %v\n%s", t.Name(), err, out)
	}
	return false
}
