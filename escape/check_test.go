package escape

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// checkReport analyses testdata/check and parses its directives once per test binary run.
func checkReport(t *testing.T) (*Report, []Directive) {
	t.Helper()
	dir, err := filepath.Abs("testdata/check")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, CacheDir: t.TempDir()}
	rep, err := Analyze(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Analyze(testdata/check): %v", err)
	}
	dirs, err := ParseDirectives(t.Context(), cfg)
	if err != nil {
		t.Fatalf("ParseDirectives(testdata/check): %v", err)
	}
	return rep, dirs
}

func verdictLines(dir string, vs []Verdict) string {
	var b strings.Builder
	for _, v := range vs {
		rel, _ := filepath.Rel(dir, v.Pos.File)
		fmt.Fprintf(&b, "%s:%d:%d\t%s/%s\t%s\t%s\n", filepath.ToSlash(rel), v.Pos.Line, v.Pos.Col, v.Directive.Kind, v.Directive.Scope, v.Outcome, v.Msg)
	}
	return b.String()
}

func TestVerify(t *testing.T) {
	rep, dirs := checkReport(t)
	vs := Verify(rep, dirs)
	checkGolden(t, "check.txt", verdictLines(rep.Stamp.Dir, vs))

	// The cases the directives exist for, asserted one by one so a regenerated golden file cannot hide them.
	tests := []struct {
		at      string // file:line:col of the verdict
		outcome Outcome
		msg     string // substring of the message
	}{
		{"inl/inl.go:8:1", OutcomeOK, "Small is inlinable (cost 6 of 80)"},
		// Big's only caller is in package user: the directive is checked at the definition.
		{"inl/inl.go:13:1", OutcomeFailed, "Big cannot be inlined: function too complex: cost 89 exceeds budget 80"},
		{"inl/inl.go:40:12", OutcomeOK, "call to inl.Small inlined"},
		{"inl/inl.go:42:10", OutcomeFailed, "call to inl.Big not inlined: inl.Big cannot be inlined: function too complex: cost 89 exceeds budget 80"},
		{"inl/inl.go:44:13", OutcomeEliminated, "call to inl.Small is in dead code"},
		{"inl/inl.go:51:1", OutcomeOK, "Max is inlinable (cost 8 of 80)"}, // instantiated in package user
		{"inl/inl.go:61:1", OutcomeFailed, "Min: the compiler reported no inlining decision: a generic function is compiled only where it is instantiated"},
		{"esc/esc.go:8:1", OutcomeOK, "nothing escapes"},
		{"esc/esc.go:19:1", OutcomeOK, "nothing escapes"}, // a leak to a result is not an escape
		{"esc/esc.go:28:7", OutcomeFailed, "(*T).Describe: parameter t leaks to the heap"},
		{"esc/esc.go:37:7", OutcomeFailed, "Keep: &Point{...} escapes to heap"},
		{"esc/esc.go:43:20", OutcomeOK, "nothing escapes"},
		{"esc/esc.go:54:11", OutcomeFailed, "Addr: x moved to heap (return): &x (address-of)"},
		{"esc/esc.go:50:14", OutcomeFailed, "Publish: parameter pp leaks to the heap (what it points to leaks)"},
		{"bce/bce.go:7:35", OutcomeOK, "no bounds checks"}, // the hint _ = s[3] removes them
		{"bce/bce.go:12:10", OutcomeFailed, "bounds check left"},
		{"bce/bce.go:12:31", OutcomeFailed, "bounds check left"},
		{"bce/bce.go:17:1", OutcomeOK, "no bounds checks"},
		{"dev/dev.go:16:15", OutcomeOK, "s.Area devirtualised (static) to Square"},
		{"dev/dev.go:21:15", OutcomeFailed, "interface call s.Area not devirtualised"},
	}
	got := map[string]Verdict{}
	for _, v := range vs {
		rel, _ := filepath.Rel(rep.Stamp.Dir, v.Pos.File)
		got[fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), v.Pos.Line, v.Pos.Col)] = v
	}
	for _, tt := range tests {
		v, ok := got[tt.at]
		if !ok {
			t.Errorf("no verdict at %s", tt.at)
			continue
		}
		if v.Outcome != tt.outcome || !strings.Contains(v.Msg, tt.msg) {
			t.Errorf("verdict at %s = %s %q, want %s containing %q", tt.at, v.Outcome, v.Msg, tt.outcome, tt.msg)
		}
	}
	var failed int
	for _, v := range vs {
		if v.Outcome == OutcomeFailed {
			failed++
		}
	}
	if n := len(Check(rep, dirs)); n != failed || n != 12 {
		t.Errorf("len(Check) = %d, want %d failed verdicts and 12", n, failed)
	}
}

func TestVerifyPackageMissing(t *testing.T) {
	rep := &Report{Stamp: Stamp{Dir: "/x"}, Packages: []Package{{Path: "a"}}}
	d := Directive{Kind: DirectiveNoBCE, Scope: ScopeLine, Pkg: "b", Pos: Pos{File: "/x/b/b.go", Line: 3, Col: 2}, Line: 4, FirstLine: 4, LastLine: 4}
	vs := Check(rep, []Directive{d})
	if len(vs) != 1 || !strings.Contains(vs[0].Msg, "package b is not in the report") {
		t.Errorf("Check with a package outside the report = %v, want one failure naming package b", vs)
	}
}
