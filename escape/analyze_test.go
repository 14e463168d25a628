package escape

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/hotpath-dev/hotpath/internal/gocmd"
)

// goldenDir is testdata/go1.NN for the running toolchain: the compiler's decisions depend on its version.
func goldenDir(t *testing.T) string {
	t.Helper()
	v := runtime.Version() // go1.26.8
	if i := strings.IndexByte(v[len("go1."):], '.'); i > 0 {
		v = v[:len("go1.")+i]
	}
	return filepath.Join("testdata", v)
}

// factLines renders facts and warnings one per line with every field a golden test asserts.
func factLines(rep *Report) string {
	var b strings.Builder
	for _, f := range rep.Facts {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\tcost=%d budget=%d bytes=%d\tfunc=%s\tflow=%d\tkey=%s\tinline=%v\n",
			f.Package, f.Pos, f.Kind, f.Subject, f.Reason+"|"+f.To, f.Cost, f.Budget, f.Bytes, f.Func, len(f.Flow), f.Key, f.Inline)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", strings.ReplaceAll(w, rep.Stamp.Dir, "$DIR"))
	}
	fmt.Fprintf(&b, "unknown: %d\n", rep.UnknownCount)
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir(t), name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it for %s): %v", runtime.Version(), err)
	}
	if got != string(want) {
		t.Errorf("%s mismatch (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func goldenConfig(t *testing.T) Config {
	t.Helper()
	dir, err := filepath.Abs("testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	return Config{Dir: dir, Patterns: []string{"./..."}, CacheDir: filepath.Join(t.TempDir(), "cache with space")}
}

func TestAnalyzeGolden(t *testing.T) {
	rep, err := Analyze(t.Context(), goldenConfig(t))
	if err != nil {
		t.Fatalf("Analyze(testdata/golden) = %v", err)
	}
	checkGolden(t, "golden.txt", factLines(rep))
	for _, k := range Kinds {
		if !slices.ContainsFunc(rep.Facts, func(f Fact) bool { return f.Kind == k }) {
			t.Errorf("Analyze(testdata/golden) has no %s fact, want at least one", k)
		}
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	report, _, _ := strings.Cut(text.String(), "; packages compiled") // the cache state varies between runs
	checkGolden(t, "golden.report.txt", strings.ReplaceAll(report, rep.Stamp.GoVersion, "GOVERSION"))
}

// TestAnalyzeCacheReplay covers the build-cache trap: a cached compile replays -m text but writes no JSON
// log. The second run must be served from the cache and still report every fact, including copies.
func TestAnalyzeCacheReplay(t *testing.T) {
	cfg := goldenConfig(t)
	first, err := Analyze(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Analyze(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := second.Cache, (CacheInfo{Replayed: len(second.Packages)}); got != want {
		t.Errorf("second Analyze cache = %+v, want %+v", got, want)
	}
	if got, want := factLines(second), factLines(first); got != want {
		t.Errorf("second Analyze facts differ from the first:\n%s\nwant:\n%s", got, want)
	}
	// Losing the stored logs must not lose facts: those packages are compiled again.
	if err := os.RemoveAll(filepath.Join(cfg.CacheDir, "escape-v1", "store")); err != nil {
		t.Fatal(err)
	}
	third, err := Analyze(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if third.Cache.Recompile != len(third.Packages) {
		t.Errorf("Analyze after losing the store recompiled %d packages, want %d", third.Cache.Recompile, len(third.Packages))
	}
	if got, want := factLines(third), factLines(first); got != want {
		t.Errorf("Analyze after losing the store:\n%s\nwant:\n%s", got, want)
	}
}

// TestAnalyzeBasenameCollision covers the JSON log's base-name trap: golden/b has util.go and instantiates
// a generic from golden/a's util.go, whose log records are overwritten. The text facts of both files stay,
// and the report warns about the lost copy facts.
func TestAnalyzeBasenameCollision(t *testing.T) {
	cfg := goldenConfig(t)
	cfg.Patterns = []string{"./b"}
	rep, err := Analyze(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range rep.Facts {
		if !slices.Contains(files, f.File) {
			files = append(files, f.File)
		}
	}
	if want := []string{"a/util.go", "b/util.go"}; !slices.Equal(files, want) {
		t.Errorf("Analyze(./b) fact files = %q, want %q", files, want)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "copy facts for a/util.go may be missing") {
		t.Errorf("Analyze(./b) warnings = %q, want one about a/util.go", rep.Warnings)
	}
}

func TestAnalyzeErrors(t *testing.T) {
	golden, err := filepath.Abs("testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	broken := t.TempDir()
	writeFiles(t, broken, map[string]string{
		"go.mod": "module broken\n\ngo 1.26\n",
		"x.go":   "package broken\n\nfunc F() *int { x := 1; return &y }\n",
	})
	tests := []struct {
		name string
		cfg  Config
		want error
		text string // substring of the error
	}{
		{"no such package", Config{Dir: golden, Patterns: []string{"./nosuch"}}, gocmd.ErrNoPackage, "nosuch"},
		{"not in a module", Config{Dir: t.TempDir()}, gocmd.ErrNoModule, "module"},
		{"go missing", Config{Dir: golden, Go: filepath.Join(t.TempDir(), "go")}, gocmd.ErrGoNotFound, "not found"},
		{"flag injection", Config{Dir: golden, Patterns: []string{"-toolexec=x"}}, ErrInvalidConfig, "-toolexec"},
		{"bad tag", Config{Dir: golden, Tags: []string{"a,b"}}, ErrInvalidConfig, "a,b"},
		{"does not build", Config{Dir: broken}, ErrBuild, "x.go:3:17: declared and not used: x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Analyze(t.Context(), tt.cfg)
			if !errors.Is(err, tt.want) || !strings.Contains(fmt.Sprint(err), tt.text) {
				t.Errorf("Analyze(%+v) = %v, want %v containing %q", tt.cfg, err, tt.want, tt.text)
			}
		})
	}
	_, err = Analyze(t.Context(), Config{Dir: broken})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Analyze(broken) = %v, want *BuildError", err)
	}
	if want := "# broken\n./x.go:3:17: declared and not used: x\n./x.go:3:33: undefined: y\n"; string(be.Output) != want {
		t.Errorf("Analyze(broken) output = %q, want %q", be.Output, want)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAnalyzeTests covers Config.Tests: the test variants' facts, including the copies only the JSON log
// has (the test variant's compile action is named like the plain package's in the action graph), on a
// fresh run and on a re-run served from the build cache.
func TestAnalyzeTests(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":      "module tt\n\ngo 1.26\n",
		"p.go":        "package tt\n\nfunc F() *int { x := 1; return &x }\n\ntype Big struct{ A [32]int64 }\n\nvar sink Big\n\nfunc Copy(b *Big) { x := *b; x.A[0]++; sink = x }\n",
		"p_test.go":   "package tt\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) { y := 2; g = &y }\n\nvar g *int\n",
		"ext_test.go": "package tt_test\n\nimport (\n\t\"testing\"\n\n\t\"tt\"\n)\n\nfunc TestExt(t *testing.T) { z := 3; h = &z }\n\nvar h *int\n\nfunc Dup(b *tt.Big) tt.Big { c := *b; c.A[1]++; return c }\n",
	})
	cfg := Config{Dir: dir, Tests: true, CacheDir: t.TempDir()}
	for _, run := range []string{"fresh", "cached"} {
		rep, err := Analyze(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range rep.Facts {
			if f.Kind == KindHeap || f.Kind == KindCopy {
				got = append(got, f.Package+" "+f.Pos.String()+" "+string(f.Kind)+" "+f.Subject)
			}
		}
		want := []string{"tt p.go:3:17 heap x", "tt p.go:9:23 copy 256 bytes", "tt p.go:9:45 copy 256 bytes",
			"tt p_test.go:5:28 heap y", "tt_test ext_test.go:9:30 heap z", "tt_test ext_test.go:13:32 copy 256 bytes", "tt_test ext_test.go:13:49 copy 256 bytes"}
		if !slices.Equal(got, want) {
			t.Errorf("%s Analyze(Tests) heap and copy facts = %q, want %q", run, got, want)
		}
		if len(rep.Warnings) != 0 {
			t.Errorf("%s Analyze(Tests) warnings = %q, want none", run, rep.Warnings)
		}
		if n := rep.Cache.Compiled + rep.Cache.Replayed; n != 2 {
			t.Errorf("%s Analyze(Tests) cache = %+v, want 2 packages compiled or replayed", run, rep.Cache)
		}
	}
}

// TestKeysSurviveLineShift checks Fact.Key: inserting lines at the top of a file moves every fact's line
// but changes no key.
func TestKeysSurviveLineShift(t *testing.T) {
	dir := t.TempDir()
	body := "package ks\n\nfunc F() *int { x := 1; return &x }\n\nfunc G(s []int, i int) int { return s[i] + s[i+1] }\n\nfunc H() int { return G([]int{1, 2}, 0) }\n"
	writeFiles(t, dir, map[string]string{"go.mod": "module ks\n\ngo 1.26\n", "k.go": body})
	keys := func() (map[string]int, int) {
		rep, err := Analyze(t.Context(), Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, f := range rep.Facts {
			m[f.Key] = f.Line
		}
		return m, len(rep.Facts)
	}
	before, n := keys()
	writeFiles(t, dir, map[string]string{"k.go": strings.Replace(body, "package ks\n", "package ks\n"+strings.Repeat("\n", 20), 1)})
	after, m := keys()
	if n != m || n < 7 {
		t.Fatalf("fact counts before/after = %d/%d, want equal and at least 7", n, m)
	}
	for k, line := range before {
		if after[k] != line+20 {
			t.Errorf("key %q: line %d after the shift, want %d", k, after[k], line+20)
		}
	}
}

// TestAnalyzeExternal covers facts in code outside the analysed packages (the standard library's generic
// code instantiated in them): left out and counted by default, kept and marked with Config.External, and
// filtered by kind together with the counts.
func TestAnalyzeExternal(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod": "module ext\n\ngo 1.26\n",
		"g.go":   "package ext\n\nimport \"slices\"\n\nfunc Has(s []string, v string) bool { return slices.Contains(s, v) }\n\nfunc Sorted(s []int) []int { s = slices.Clone(s); slices.Sort(s); return s }\n",
	})
	cfg := Config{Dir: dir, CacheDir: t.TempDir()}
	own, err := Analyze(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.External = true
	all, err := Analyze(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ownKeys, keys []string
	for _, f := range own.Facts {
		if f.File != "g.go" || f.External {
			t.Errorf("Analyze(ext) fact %s external=%v, want only g.go facts, not external", f.String(), f.External)
		}
		ownKeys = append(ownKeys, f.Key)
	}
	external := map[Kind]int{}
	for _, f := range all.Facts {
		if f.External != (f.File != "g.go") {
			t.Errorf("Analyze(ext, External) fact %s external = %v, want %v", f.String(), f.External, f.File != "g.go")
		}
		if f.External {
			external[f.Kind]++
		} else {
			keys = append(keys, f.Key)
		}
	}
	if !slices.Equal(keys, ownKeys) || len(ownKeys) < 5 {
		t.Errorf("Analyze(ext, External) own facts = %q, want %q (at least 5)", keys, ownKeys)
	}
	if external[KindHeap] == 0 || !maps.Equal(own.ExternalOmitted, external) || all.ExternalOmitted != nil {
		t.Errorf("Analyze(ext) ExternalOmitted = %v (with External %v), want %v with heap facts (nil)", own.ExternalOmitted, all.ExternalOmitted, external)
	}
	if got := own.Packages[0].Counts; sum(got) != len(own.Facts) {
		t.Errorf("Analyze(ext) counts %v sum to %d, want %d facts", got, sum(got), len(own.Facts))
	}
	if got := all.Packages[0].Counts; sum(got) != len(all.Facts) {
		t.Errorf("Analyze(ext, External) counts %v sum to %d, want %d facts", got, sum(got), len(all.Facts))
	}

	heap := own.Filter(KindHeap, KindHeap)
	if want := map[Kind]int{KindHeap: len(heap.Facts)}; !maps.Equal(heap.Packages[0].Counts, want) || len(heap.Facts) == 0 {
		t.Errorf("Filter(heap) counts = %v, want %v", heap.Packages[0].Counts, want)
	}
	if want := map[Kind]int{KindHeap: external[KindHeap]}; !maps.Equal(heap.ExternalOmitted, want) {
		t.Errorf("Filter(heap) ExternalOmitted = %v, want %v", heap.ExternalOmitted, want)
	}
	if !slices.Equal(heap.Kinds, []Kind{KindHeap}) || sum(own.Packages[0].Counts) != len(own.Facts) {
		t.Errorf("Filter(heap) kinds = %q (original counts %v), want [heap] and the original unchanged", heap.Kinds, own.Packages[0].Counts)
	}
	var text bytes.Buffer
	if err := heap.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	wantTable := fmt.Sprintf("  package  heap\n      ext     %d\n\n", len(heap.Facts))
	wantSummary := fmt.Sprintf(": %d facts (heap) (%d more, in code outside the analysed packages, left out),", len(heap.Facts), external[KindHeap])
	if s := text.String(); !strings.Contains(s, wantTable) || !strings.Contains(s, wantSummary) {
		t.Errorf("Filter(heap).WriteText = %q, want the table %q and %q", s, wantTable, wantSummary)
	}
}

func sum(m map[Kind]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
