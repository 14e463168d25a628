package escape

import (
	"slices"
	"sync"
	"testing"
)

func TestProgressWriter(t *testing.T) {
	var got []string
	w := &progressWriter{total: 2, fn: func(pkg string, done, total int) {
		got = append(got, pkg+" "+string(rune('0'+done))+"/"+string(rune('0'+total)))
	}}
	for _, chunk := range []string{"# a\n./a.go:1:1: can inline F\n# ", "b [b.test]\n./b", ".go:1:1: x\n"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if want := []string{"a 1/2", "b [b.test] 2/2"}; !slices.Equal(got, want) {
		t.Errorf("progress = %q, want %q", got, want)
	}
}

// TestAnalyzeConcurrent runs two analyses sharing one cache directory at once: the lock keeps their JSON
// logs apart and both reports are complete.
func TestAnalyzeConcurrent(t *testing.T) {
	cfg := goldenConfig(t)
	var wg sync.WaitGroup
	reps := make([]*Report, 2)
	errs := make([]error, 2)
	for i := range reps {
		wg.Go(func() { reps[i], errs[i] = Analyze(t.Context(), cfg) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Analyze #%d = %v", i, err)
		}
	}
	if a, b := factLines(reps[0]), factLines(reps[1]); a != b {
		t.Errorf("concurrent Analyze reports differ:\n%s\nvs\n%s", a, b)
	}
}
