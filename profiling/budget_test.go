package profiling

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/pprof/profile"
)

// TestBudget100kParkedGoroutines: with 100,000 parked goroutines the goroutine profile is taken once
// every ceil(100k/10k) = 10 windows (so its average cost stays that of 10k goroutines) and the wall-clock
// profile is skipped, each with the reason recorded.
func TestBudget100kParkedGoroutines(t *testing.T) {
	if raceEnabled {
		// The race detector caps live goroutines at 8128: run this test in a build without it.
		if testing.Short() {
			t.Skip("needs a non-race build of the test; skipped with -short")
		}
		cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-run=^TestBudget100kParkedGoroutines$", ".")
		cmd.Env = os.Environ()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go test (no race): %v\n%s", err, out)
		}
		return
	}
	const parked = 100_000
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range parked {
		wg.Go(func() { <-release })
	}
	defer func() { close(release); wg.Wait() }()

	p := startTest(t, Config{NoStore: true, Kinds: []Kind{KindGoroutine, KindWall}})
	for range 10 {
		if err := p.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	st := p.Stats()
	g, w := st.Kinds[KindGoroutine], st.Kinds[KindWall]
	if g.Collected != 1 || g.Skipped != 9 || !strings.Contains(g.LastSkip, "taken every 11 windows") && !strings.Contains(g.LastSkip, "taken every 10 windows") {
		t.Errorf("goroutine: collected %d, skipped %d (%q); want 1 and 9, downsampled", g.Collected, g.Skipped, g.LastSkip)
	}
	if w.Collected != 0 || w.Skipped != 10 || !strings.Contains(w.LastSkip, "over budget") {
		t.Errorf("wall: collected %d, skipped %d (%q); want 0 and 10, over budget", w.Collected, w.Skipped, w.LastSkip)
	}
	if st.Goroutines < parked {
		t.Errorf("Stats().Goroutines = %d, want >= %d", st.Goroutines, parked)
	}
	if n := runtime.NumGoroutine(); n < parked {
		t.Fatalf("NumGoroutine() = %d, want >= %d", n, parked)
	}
	_ = profile.Parse
}
