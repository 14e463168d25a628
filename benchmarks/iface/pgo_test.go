package iface

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestPGODevirtualises compiles this package twice with the compiler's -m diagnostics, without a
// profile and with iface.pgo, and checks which call sites PGO devirtualises. It runs the real go
// command; CI's benchmark smoke run skips tests, run it with "go test ./iface".
func TestPGODevirtualises(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	const pkg = "github.com/hotpath-dev/hotpath/benchmarks/iface"
	re := regexp.MustCompile(`shapes\.go:\d+:\d+: PGO devirtualizing interface call x\.Area to \(\*(s\d)\)\.Area`)
	devirt := func(pgo string) []string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), "go", "test", "-c", "-o", t.TempDir()+"/x.test",
			"-pgo="+pgo, "-gcflags="+pkg+"=-m", ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go test -c -pgo=%s: %v\n%s", pgo, err, out)
		}
		var got []string
		for _, m := range re.FindAllSubmatch(out, -1) {
			got = append(got, string(m[1]))
		}
		return got
	}
	if got := devirt("off"); len(got) != 0 {
		t.Errorf("devirtualised without a profile = %q, want none", got)
	}
	// One devirtualised site each in sumMono, sumPoly and sumMega, in source order; sumDirect has no
	// interface call. The target is the hottest callee PGO saw: s0 is the only type in the
	// monomorphic slice; which of the 3 or 8 wins elsewhere depends on the profile's samples, so only
	// the count is checked for those.
	got := devirt("iface.pgo")
	if len(got) != 3 || got[0] != "s0" {
		t.Errorf("devirtualised with iface.pgo = %q, want 3 sites, the first to s0", got)
	}
}
