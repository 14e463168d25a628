package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const diffSrc = `package p

var sink *int

// Add is small enough to inline.
func Add(a, b int) int { return a + b }

// Use calls Add.
func Use(s []int) int {
	return Add(s[0], s[1])
}
`

// escapeJSON writes the escape report of dir to a file and returns its path.
func escapeJSON(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.json")
	if code, _, errOut := runIn(t, dir, "escape", "-format", "json", "-o", out, "./..."); code != exitOK {
		t.Fatalf("escape -format json: exit %d: %s", code, errOut)
	}
	return out
}

func TestDiffCommand(t *testing.T) {
	baseDir := writeModule(t, map[string]string{"p/p.go": diffSrc})
	headDir := writeModule(t, map[string]string{"p/p.go": strings.Repeat("// moved down\n", 20) +
		strings.Replace(diffSrc, "return Add(s[0], s[1])", "x := s[0]\n\tsink = &x\n\treturn Add(s[0], s[1])", 1)})
	base, head := escapeJSON(t, baseDir), escapeJSON(t, headDir)
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	os.WriteFile(garbage, []byte("{not json"), 0o644)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"regression", []string{"diff", base, head}, exitOK, "p/p.go:30:2: heap: new heap allocation: x moved to heap (assign) (in Use)", ""},
		{"fail on regressions", []string{"diff", "-fail-on", "regressions", base, head}, exitFailed, "1 regressions, 0 improvements", ""},
		{"same report", []string{"diff", "-fail-on", "changes", base, base}, exitOK, "0 regressions, 0 improvements, 0 other changes", ""},
		{"reverse is an improvement", []string{"diff", "-fail-on", "regressions", head, base}, exitOK, "heap allocation gone", ""},
		{"github", []string{"diff", "-format", "github", base, head}, exitOK, "::error file=p/p.go,line=30,col=2,title=hotpath%3Aregression::new heap allocation: x moved to heap", ""},
		{"one file", []string{"diff", base}, exitUsage, "", "want two report files"},
		{"garbage", []string{"diff", garbage, head}, exitUsage, "", "hotpath: diff: base " + garbage + ": escape: read report: not a hotpath escape report"},
		{"missing", []string{"diff", "/nonexistent.json", head}, exitUsage, "", "no such file or directory"},
		{"bad fail-on", []string{"diff", "-fail-on", "sometimes", base, head}, exitUsage, "", `-fail-on "sometimes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runIn(t, headDir, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("hotpath %s: exit %d, stdout %q, stderr %q; want exit %d, stdout containing %q, stderr containing %q",
					strings.Join(tt.args, " "), code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
	// The same comparison straight from hotpath escape.
	code, out, errOut := runIn(t, headDir, "escape", "-baseline", base, "-fail-on", "regressions", "./...")
	if code != exitFailed || !strings.Contains(out, "new heap allocation: x moved to heap") {
		t.Errorf("escape -baseline: exit %d, stdout %q, stderr %q; want exit 1 and the new allocation", code, out, errOut)
	}
}

func TestEscapeRev(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := writeModule(t, map[string]string{"p/p.go": diffSrc})
	gitCommitAll(t, dir)
	changed := strings.Replace(diffSrc, "return Add(s[0], s[1])", "return Add(s[0], s[1]) + s[3]", 1)
	if err := os.WriteFile(filepath.Join(dir, "p", "p.go"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, dir, "escape", "-rev", "HEAD", "-fail-on", "regressions", "./...")
	if code != exitFailed || !strings.Contains(out, ": bounds-check: new bounds check: IsInBounds (in Use)") {
		t.Errorf("escape -rev HEAD: exit %d, stdout %q, stderr %q; want exit 1 and a new bounds check", code, out, errOut)
	}
	list, err := exec.Command("git", "-C", dir, "worktree", "list", "--porcelain").Output()
	if err != nil || strings.Count(string(list), "worktree ") != 1 {
		t.Errorf("worktrees left after escape -rev: %q (%v)", list, err)
	}
	if code, _, errOut := runIn(t, dir, "escape", "-rev", "no-such-rev", "./..."); code != exitUsage || !strings.Contains(errOut, "not a commit") {
		t.Errorf("escape -rev no-such-rev: exit %d, stderr %q; want exit 2 naming the bad revision", code, errOut)
	}
}

func TestEscapeRevNewPackage(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := writeModule(t, map[string]string{"p/p.go": diffSrc})
	gitCommitAll(t, dir)
	os.MkdirAll(filepath.Join(dir, "q"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "q", "q.go"), []byte("package q\n\nvar sink *int\n\nfunc F(x int) { sink = &x }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, dir, "escape", "-rev", "HEAD", "-fail-on", "regressions", "./q")
	if code != exitFailed || !strings.Contains(out, "q/q.go:5:8: heap: new heap allocation: x moved to heap") ||
		!strings.Contains(errOut, "./q does not exist at HEAD: its facts are all new") {
		t.Errorf("escape -rev HEAD ./q (a new package): exit %d, stdout %q, stderr %q; want exit 1, the allocation as new, and a note", code, out, errOut)
	}
}

// gitCommitAll makes dir a git repository with everything in it committed.
func gitCommitAll(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{{"init", "--quiet"}, {"add", "-A"}, {"commit", "--quiet", "-m", "base"}} {
		cmd := exec.CommandContext(t.Context(), "git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}
