package escape

import (
	"fmt"
	"testing"
)

var (
	sinkInt    int
	sinkString string
	sinkInts   []int
	sinkFn     func() int
)

// TestAllocations measures each trap against its fix: the traps allocate, the fixes do not.
func TestAllocations(t *testing.T) {
	var boxed BoxedSamples
	var samples Samples
	var counter Counter
	var stats ClampStats
	squares := make([]int, 64)
	tests := []struct {
		name     string
		fn       func()
		trap     bool // the trap allocates at least once per run
		wantZero bool // the fix allocates nothing
	}{
		{"boxing/trap", func() { boxed.vals = boxed.vals[:0]; boxed.Observe(sinkInt + 1<<20) }, true, false},
		{"boxing/fix", func() { samples.Observe(sinkInt + 1<<20) }, false, true},
		{"closure/trap", func() { sinkFn = ClosureCounter(); sinkInt = sinkFn() }, true, false},
		{"closure/fix", func() { var c Counter; sinkInt = c.Next() + counter.Next() }, false, true},
		{"fmt/trap", func() { sinkString = KeyFmt("ada", 123456) }, true, false},
		{"fmt/fix", func() { var b KeyBuf; sinkInt = b.Key("ada", 123456) }, false, true},
		{"grow/trap", func() { sinkInts = Squares(64) }, true, false},
		{"grow/fix", func() { FillSquares(squares) }, false, true},
		{"budget/fix", func() { sinkInt = Clamp(5, 0, 10, &stats) }, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testing.AllocsPerRun(100, tt.fn)
			if tt.trap && got < 1 {
				t.Errorf("%s allocates %.1f times per run, want at least 1 (the trap)", tt.name, got)
			}
			if tt.wantZero && got != 0 {
				t.Errorf("%s allocates %.1f times per run, want 0", tt.name, got)
			}
		})
	}
}

func TestResults(t *testing.T) {
	var b KeyBuf
	n := b.Key("ada", -42)
	if got, want := string(b[:n]), KeyFmt("ada", -42); got != want {
		t.Errorf("KeyBuf.Key(ada, -42) = %q, want %q", got, want)
	}
	long := "a-user-name-that-is-much-longer-than-forty-three-bytes"
	n = b.Key(long, -9223372036854775808)
	if got, want := string(b[:n]), long[:43]+":-9223372036854775808"; got != want {
		t.Errorf("KeyBuf.Key(long, min int64) = %q, want %q", got, want)
	}
	sq := make([]int, 5)
	FillSquares(sq)
	if fmt.Sprint(sq) != fmt.Sprint(Squares(5)) {
		t.Errorf("FillSquares = %v, want %v", sq, Squares(5))
	}
	var s1, s2 ClampStats
	for _, v := range []int{-5, 3, 99, 10, 0} {
		if a, b := ClampSlow(v, 0, 10, &s1), Clamp(v, 0, 10, &s2); a != b {
			t.Errorf("Clamp(%d) = %d, ClampSlow = %d", v, b, a)
		}
	}
	if fmt.Sprint(s1) != fmt.Sprint(s2) {
		t.Errorf("Clamp stats %+v, ClampSlow stats %+v, want equal", s2, s1)
	}
	c := ClosureCounter()
	var k Counter
	for range 3 {
		if a, b := c(), k.Next(); a != b {
			t.Errorf("ClosureCounter() = %d, Counter.Next() = %d", a, b)
		}
	}
}

func BenchmarkBoxing(b *testing.B) {
	b.Run("trap", func(b *testing.B) {
		b.ReportAllocs()
		var s BoxedSamples
		for i := 0; b.Loop(); i++ {
			if len(s.vals) == 1024 {
				s.vals = s.vals[:0]
			}
			s.Observe(i + 1000)
		}
	})
	b.Run("fix", func(b *testing.B) {
		b.ReportAllocs()
		var s Samples
		for i := 0; b.Loop(); i++ {
			s.Observe(i + 1000)
		}
	})
}

func BenchmarkClosure(b *testing.B) {
	b.Run("trap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkFn = ClosureCounter()
			sinkInt = sinkFn() + sinkFn()
		}
	})
	b.Run("fix", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c Counter
			sinkInt = c.Next() + c.Next()
		}
	})
}

func BenchmarkKey(b *testing.B) {
	b.Run("trap", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sinkString = KeyFmt("ada", i)
		}
	})
	b.Run("fix", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var k KeyBuf
			sinkInt = k.Key("ada", i)
		}
	})
}

func BenchmarkSquares(b *testing.B) {
	b.Run("trap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkInts = Squares(1000)
		}
	})
	b.Run("fix", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]int, 1000)
		for b.Loop() {
			FillSquares(buf)
		}
	})
}

func BenchmarkClamp(b *testing.B) {
	var s ClampStats
	b.Run("trap", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkInt += ClampSlow(i&15, 2, 13, &s)
		}
	})
	b.Run("fix", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkInt += Clamp(i&15, 2, 13, &s)
		}
	})
}
