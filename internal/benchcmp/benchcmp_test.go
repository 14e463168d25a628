package benchcmp

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"
)

// results renders go test -bench lines for one benchmark: one line per value, each value in unit.
func results(name, unit string, values ...float64) string {
	var b strings.Builder
	b.WriteString("pkg: example.com/p\n")
	for _, v := range values {
		fmt.Fprintf(&b, "Benchmark%s-2 \t 1000\t %g %s\n", name, v, unit)
	}
	return b.String()
}

func mustRead(t *testing.T, name, text string) *Set {
	t.Helper()
	s, err := Read(strings.NewReader(text), name)
	if err != nil {
		t.Fatalf("Read(%q) = %v", name, err)
	}
	return s
}

func compareOne(t *testing.T, old, new string, opt Options) Row {
	t.Helper()
	rep, err := Compare(mustRead(t, "old", old), mustRead(t, "new", new), opt)
	if err != nil {
		t.Fatalf("Compare = %v", err)
	}
	if len(rep.Tables) != 1 || len(rep.Tables[0].Rows) != 1 {
		t.Fatalf("Compare tables = %+v, want one table with one row", rep.Tables)
	}
	return rep.Tables[0].Rows[0]
}

func TestCompareVerdicts(t *testing.T) {
	tests := []struct {
		name      string
		old, new  string
		opt       Options
		want      Verdict
		wantP     float64 // -1: don't check
		wantExact bool
	}{
		{"slower, significant at n=4",
			results("Sum", "ns/op", 100, 101, 102, 99), results("Sum", "ns/op", 120, 121, 122, 119),
			Options{Threshold: 0.05}, Regression, 0.02857142857142857, false},
		{"slower, under threshold",
			results("Sum", "ns/op", 100, 101, 102, 99), results("Sum", "ns/op", 120, 121, 122, 119),
			Options{Threshold: 0.25}, Worse, 0.02857142857142857, false},
		{"faster",
			results("Sum", "ns/op", 120, 121, 122, 119), results("Sum", "ns/op", 100, 101, 102, 99),
			Options{Threshold: 0.05}, Better, 0.02857142857142857, false},
		{"overlapping, not significant",
			results("Sum", "ns/op", 100, 120, 101, 119), results("Sum", "ns/op", 121, 99, 118, 102),
			Options{}, Same, -1, false},
		{"n=3 can never be significant",
			results("Sum", "ns/op", 100, 101, 102), results("Sum", "ns/op", 200, 201, 202),
			Options{}, Same, 0.1, false},
		{"throughput up is better",
			results("Copy", "MB/s", 100, 101, 102, 99), results("Copy", "MB/s", 200, 201, 202, 199),
			Options{}, Better, -1, false},
		{"unknown unit direction",
			results("Enc", "wire-B", 10, 11, 12, 13), results("Enc", "wire-B", 20, 21, 22, 23),
			Options{}, Changed, -1, false},
		{"allocs 0 to 1, exact, one run each",
			results("Get", "allocs/op", 0), results("Get", "allocs/op", 1),
			Options{Threshold: 0.05}, Regression, 0, true},
		{"allocs equal, exact",
			results("Get", "allocs/op", 2, 2, 2, 2), results("Get", "allocs/op", 2, 2, 2, 2),
			Options{}, Same, 0, true},
		{"B/op varying on one side is not exact",
			results("Get", "B/op", 64, 64, 64, 64), results("Get", "B/op", 64, 64, 80, 80),
			Options{}, Same, -1, false},
		{"declared exact unit",
			"Unit wire-B assume=exact better=lower\n" + results("Enc", "wire-B", 10, 10), results("Enc", "wire-B", 12, 12),
			Options{Threshold: 0.1}, Regression, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := compareOne(t, tt.old, tt.new, tt.opt)
			if row.Verdict != tt.want || row.Exact != tt.wantExact {
				t.Errorf("Compare verdict = %v (exact %v, p %v, delta %v), want %v (exact %v)", row.Verdict, row.Exact, row.P, row.Delta, tt.want, tt.wantExact)
			}
			if tt.wantP >= 0 && math.Abs(row.P-tt.wantP) > 1e-12 {
				t.Errorf("Compare p = %v, want %v", row.P, tt.wantP)
			}
		})
	}
}

// The trap: go-moremath's exact U test with ties and unequal counts gives an order-dependent p.
func TestUnequalCountsWithTies(t *testing.T) {
	a := []float64{114, 115, 115, 115}
	b := []float64{78.8, 78.8, 78.8, 78.8, 78.8}
	thr := benchmath.DefaultThresholds
	ab := benchmath.AssumeNothing.Compare(benchmath.NewSample(a, &thr), benchmath.NewSample(b, &thr)).P
	ba := benchmath.AssumeNothing.Compare(benchmath.NewSample(b, &thr), benchmath.NewSample(a, &thr)).P
	if ab == ba {
		t.Fatalf("benchmath U test p = %v both ways; the order-dependence this test guards against is gone", ab)
	}
	old, new := results("Sum", "ns/op", a...), results("Sum", "ns/op", b...)

	t.Run("EqualCounts refuses", func(t *testing.T) {
		_, err := Compare(mustRead(t, "old", old), mustRead(t, "new", new), Options{EqualCounts: true})
		if !errors.Is(err, ErrUnequalCounts) {
			t.Errorf("Compare(4 vs 5 runs, EqualCounts) = %v, want %v", err, ErrUnequalCounts)
		}
	})
	t.Run("otherwise symmetric and conservative", func(t *testing.T) {
		fwd := compareOne(t, old, new, Options{})
		rev := compareOne(t, new, old, Options{})
		want := math.Max(ab, ba)
		if fwd.P != want || rev.P != want {
			t.Errorf("Compare p = %v forward, %v reversed; want %v both ways", fwd.P, rev.P, want)
		}
		if len(fwd.Warnings) == 0 || !strings.Contains(strings.Join(fwd.Warnings, ";"), "unequal counts 4+5") {
			t.Errorf("Compare warnings = %q, want one about unequal counts 4+5", fwd.Warnings)
		}
	})
	t.Run("exact units are immune", func(t *testing.T) {
		row := compareOne(t, results("X", "B/op", 64, 64, 64, 64), results("X", "B/op", 0, 0, 0, 0, 0), Options{EqualCounts: true})
		if !row.Exact || row.Verdict != Better || row.Delta != -1 {
			t.Errorf("Compare(B/op 64×4 vs 0×5) = exact %v, %v, delta %v; want exact, better, -1", row.Exact, row.Verdict, row.Delta)
		}
	})
}

func TestCompareMissingAndGeomean(t *testing.T) {
	old := "pkg: p\nBenchmarkA-2 1 100 ns/op\nBenchmarkB-2 1 400 ns/op\nBenchmarkGone-2 1 5 ns/op\n"
	new := "pkg: p\nBenchmarkA-2 1 200 ns/op\nBenchmarkB-2 1 200 ns/op\nBenchmarkNew-2 1 5 ns/op\n"
	rep, err := Compare(mustRead(t, "old", old), mustRead(t, "new", new), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tb := rep.Tables[0]
	var missing []string
	for _, r := range tb.Rows {
		if r.Verdict == Missing {
			missing = append(missing, r.Name)
		}
	}
	if strings.Join(missing, ",") != "Gone-2,New-2" {
		t.Errorf("missing rows = %q, want Gone-2,New-2", missing)
	}
	if gone, added := tb.Rows[2], tb.Rows[3]; gone.Old.Center != 5e-9 || added.New.Center != 5e-9 {
		t.Errorf("missing rows' summaries = %v (old of Gone), %v (new of New), want 5ns each", gone.Old.Center, added.New.Center)
	}
	// geomean(100, 400) = 200 = geomean(200, 200): the missing rows stay out.
	if tb.GeoN != 2 || math.Abs(tb.GeoOld-200e-9) > 1e-15 || math.Abs(tb.GeoNew-200e-9) > 1e-15 {
		t.Errorf("geomean = %v → %v over %d rows, want 200ns → 200ns over 2", tb.GeoOld, tb.GeoNew, tb.GeoN)
	}
}

func TestSamePackageNamesDoNotCollide(t *testing.T) {
	text := "pkg: a\nBenchmarkX-2 1 100 ns/op\npkg: b\nBenchmarkX-2 1 900 ns/op\n"
	rep, err := Compare(mustRead(t, "old", text), mustRead(t, "new", text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tables) != 2 || rep.Tables[0].Pkg != "a" || rep.Tables[1].Pkg != "b" {
		t.Errorf("Compare tables = %d, want one per package a and b", len(rep.Tables))
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantN     int
		wantWarns int
		wantErr   error
	}{
		{"go test output", "goos: linux\npkg: p\nBenchmarkA-2 10 5 ns/op 0 B/op 0 allocs/op\nPASS\nok p 1s\n", 1, 0, nil},
		{"malformed line kept as warning", "BenchmarkA-2 10 5 ns/op\nBenchmarkB-2 x 5 ns/op\n", 1, 1, nil},
		{"nothing", "PASS\n", 0, 0, ErrNoResults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Read(strings.NewReader(tt.in), "f")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Read(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err == nil && (len(s.Results) != tt.wantN || len(s.Warnings) != tt.wantWarns) {
				t.Errorf("Read(%q) = %d results, %d warnings; want %d, %d", tt.in, len(s.Results), len(s.Warnings), tt.wantN, tt.wantWarns)
			}
		})
	}
}

func TestWriteText(t *testing.T) {
	rep, err := Compare(mustRead(t, "base", results("Sum", "ns/op", 100, 101, 102, 99)),
		mustRead(t, "head", results("Sum", "ns/op", 120, 121, 122, 119)), Options{Threshold: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pkg: example.com/p", "base sec/op", "head sec/op", "Sum-2", "100.5n", "120.5n", "+19.90% (p=0.029 n=4)", "REGRESSION"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("WriteText = %q, want it to contain %q", b.String(), want)
		}
	}
}

// BenchmarkCompare times one comparison of two 20-benchmark, 10-run result sets; "hotpath bench"
// runs it on this repository in cmd/hotpath's TestBenchSelf.
func BenchmarkCompare(b *testing.B) {
	var old, new strings.Builder
	for i := range 20 {
		name := fmt.Sprintf("B%d", i)
		old.WriteString(results(name, "ns/op", 100, 101, 102, 99, 100, 103, 98, 101, 100, 102))
		new.WriteString(results(name, "ns/op", 100, 121, 102, 119, 100, 103, 98, 101, 120, 102))
	}
	os, ns := mustReadB(b, old.String()), mustReadB(b, new.String())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(os, ns, Options{EqualCounts: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func mustReadB(b *testing.B, text string) *Set {
	s, err := Read(strings.NewReader(text), "x")
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func TestCompareNothingInCommon(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		wantErr  error
	}{
		{"different benchmarks", results("Sum", "ns/op", 1, 2), results("Cat", "ns/op", 1, 2), ErrNothingInCommon},
		{"same name, different units", results("Sum", "ns/op", 1, 2), results("Sum", "MB/s", 1, 2), ErrNothingInCommon},
		{"different packages", "pkg: a\nBenchmarkX-2 1 1 ns/op\n", "pkg: b\nBenchmarkX-2 1 1 ns/op\n", ErrNothingInCommon},
		{"one in common among others", results("Sum", "ns/op", 1, 2) + "BenchmarkOld-2 1 5 ns/op\n",
			results("Sum", "ns/op", 1, 2) + "BenchmarkNew-2 1 5 ns/op\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Compare(mustRead(t, "old", tt.old), mustRead(t, "new", tt.new), Options{})
			if !errors.Is(err, tt.wantErr) || (err == nil) != (rep != nil) {
				t.Errorf("Compare(%q, %q) = %v, %v; want %v", tt.old, tt.new, rep, err, tt.wantErr)
			}
		})
	}
}
