package escapes

import (
	"os/exec"
	"strings"
	"testing"
)

var sinkF float64
var sinkI int

func BenchmarkValue(b *testing.B) {
	cases := []struct {
		name string
		f    func(int) float64
	}{
		{"where=stack", onStack},
		{"where=heap", toHeap},
		{"where=interface", boxed},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sinkF = c.f(i)
				i++
			}
		})
	}
}

// BenchmarkBuffer compares a 4 KiB scratch buffer of constant size (stack) with the same buffer sized
// at run time (heap).
func BenchmarkBuffer(b *testing.B) {
	b.Run("size=4KiB/make=const", func(b *testing.B) {
		b.SetBytes(4096)
		b.ReportAllocs()
		for b.Loop() {
			sinkI = bufConst(7)
		}
	})
	b.Run("size=4KiB/make=var", func(b *testing.B) {
		n := 4096
		b.SetBytes(int64(n))
		b.ReportAllocs()
		for b.Loop() {
			sinkI = bufVar(n, 7)
		}
	})
}

// TestEscapeDecisions checks the compiler's own account (-m) of where each value lives, so the
// benchmark names stay true when the compiler changes.
func TestEscapeDecisions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	out, err := exec.CommandContext(t.Context(), "go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"moved to heap: v",                   // toHeap
		"v escapes to heap",                  // boxed
		"make([]byte, 4096) does not escape", // bufConst
		"make([]byte, n) does not escape",    // bufVar: heap-allocated all the same (see BenchmarkBuffer)
	} {
		if !strings.Contains(text, want) {
			t.Errorf("go build -gcflags=-m output lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "moved to heap") != 1 {
		t.Errorf("go build -gcflags=-m: %d values moved to heap, want 1 (toHeap's v):\n%s", strings.Count(text, "moved to heap"), text)
	}
}
