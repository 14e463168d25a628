package escape

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const diffBase = `package p

var sink *int

// Keep moves x to the heap.
func Keep(x int) {
	y := x
	sink = &y
}

// Add is small enough to inline.
func Add(a, b int) int { return a + b }

// Use calls Add.
func Use(s []int) int {
	return Add(s[0], s[1])
}
`

// analyzeSource writes src as package p of a fresh module and analyses it.
func analyzeSource(t *testing.T, src string) *Report {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module m\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p", "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(t.Context(), Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return rep
}

func changeLines(d ReportDiff) []string {
	var out []string
	for _, c := range d.Changes {
		f := c.Fact()
		out = append(out, string(c.Class)+" "+string(f.Kind)+" "+c.What+" "+f.Subject)
	}
	return out
}

func TestDiff(t *testing.T) {
	base := analyzeSource(t, diffBase)
	tests := []struct {
		name string
		head string
		want []string
	}{
		{"unchanged", diffBase, nil},
		{"twenty lines inserted at the top", strings.Repeat("// padding\n", 20) + diffBase, nil},
		{"renamed function", strings.Replace(diffBase, "func Keep(", "func Hold(", 1), []string{
			"changed inlinable renamed from Keep Hold", "changed heap moved from Keep y",
		}},
		{"new allocation", strings.Replace(diffBase, "return Add(s[0], s[1])", "z := s[0]\n\tsink = &z\n\treturn Add(s[0], s[1])", 1), []string{
			"regression heap new heap allocation z", "changed inlinable cost 13 → 24 Use",
		}},
		{"lost inline", strings.Replace(diffBase, "func Add(a, b int) int { return a + b }",
			"func Add(a, b int) int {\n\tfor i := 0; i < a; i++ {\n\t\tb += i * a / (b + 1) % 7\n\t\tif b > 1000 {\n\t\t\tb -= a*b - i*i + a/3 - b/5 + i%3 - (a^b)&7\n\t\t}\n\t\tif b < -1000 {\n\t\t\tb += a*b + i*i - a/3 + b/5 - i%3 + (a^b)|7\n\t\t}\n\t}\n\treturn a + b\n}", 1), []string{
			"regression not-inlinable inlinability lost Add", "regression inlined-call inlining lost Add", "changed inlinable cost 13 → 66 Use",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Diff(base, analyzeSource(t, tt.head))
			got := changeLines(d)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Diff changes =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if d.Toolchain != "" {
				t.Errorf("Diff toolchain = %q, want none", d.Toolchain)
			}
		})
	}
}

func TestDiffToolchain(t *testing.T) {
	base := &Report{Schema: Schema, Stamp: Stamp{GoVersion: "go1.25.3", GOOS: "linux", GOARCH: "amd64"}}
	head := &Report{Schema: Schema, Stamp: Stamp{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"},
		Facts: []Fact{{Kind: KindHeap, Package: "p", Pos: Pos{File: "p/p.go", Line: 3, Col: 2}, Func: "F", Subject: "x", Reason: ReasonMoved}}}
	assignKeys(head.Facts)
	d := Diff(base, head)
	if d.Toolchain != "go1.25.3 linux/amd64 → go1.26.8 linux/amd64" {
		t.Errorf("Diff toolchain = %q, want the version change", d.Toolchain)
	}
	var b bytes.Buffer
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"toolchain change: go1.25.3", "regressions (1):", "p/p.go:3:2: heap: new heap allocation: x moved to heap (in F)", "1 regressions, 0 improvements"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("WriteText = %q, want it to contain %q", b.String(), want)
		}
	}
}

func TestReadReport(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"garbage", "not json", "not a hotpath escape report"},
		{"other schema", `{"schema":"other/v9"}`, `schema "other/v9", want "hotpath.escape/v1"`},
		{"empty", "", "not a hotpath escape report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadReport(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadReport(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
	// A report survives its own JSON form.
	rep := &Report{Schema: Schema, Facts: []Fact{{Kind: KindBounds, Package: "p", Pos: Pos{File: "a.go", Line: 1, Col: 2}, Subject: "IsInBounds"}}}
	assignKeys(rep.Facts)
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(&b)
	if err != nil || len(back.Facts) != 1 || back.Facts[0].Key != rep.Facts[0].Key {
		t.Errorf("ReadReport(WriteJSON(r)) = %+v, %v, want the same fact back", back, err)
	}
}

func TestDiffPackageSets(t *testing.T) {
	fact := func(pkg, subj string) Fact {
		return Fact{Kind: KindHeap, Package: pkg, Pos: Pos{File: pkg + "/a.go", Line: 3, Col: 2}, Func: "F", Subject: subj, Reason: ReasonMoved}
	}
	base := &Report{Schema: Schema, Packages: []Package{{Path: "a"}},
		Facts: []Fact{fact("a", "x")}}
	head := &Report{Schema: Schema, Packages: []Package{{Path: "a"}, {Path: "b"}},
		Facts: []Fact{fact("a", "x"), fact("b", "y"), fact("b", "z")}}
	assignKeys(base.Facts)
	assignKeys(head.Facts)
	d := Diff(base, head)
	if len(d.Changes) != 0 || d.Unchanged != 1 || strings.Join(d.OnlyHead, ",") != "b" || len(d.OnlyBase) != 0 {
		t.Errorf("Diff(a, a+b) = %d changes, %d unchanged, only head %v, only base %v; want 0, 1, [b], []",
			len(d.Changes), d.Unchanged, d.OnlyHead, d.OnlyBase)
	}
	d = Diff(head, base)
	if len(d.Changes) != 0 || strings.Join(d.OnlyBase, ",") != "b" {
		t.Errorf("Diff(a+b, a) = %d changes, only base %v; want 0 and [b]", len(d.Changes), d.OnlyBase)
	}
	var b bytes.Buffer
	d.WriteText(&b)
	if !strings.Contains(b.String(), "packages only in base, not compared: b") {
		t.Errorf("WriteText = %q, want it to name package b as only in base", b.String())
	}
}
