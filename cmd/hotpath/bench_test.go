package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBenchFiles(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // each must be in stdout; nil: stdout must be empty
		wantErr  string
	}{
		{"regression", []string{"testdata/bench/old.txt", "testdata/bench/new.txt"}, exitFailed,
			[]string{"+19.90% (p=0.029 n=4)", "REGRESSION", "1 regression(s) (threshold 5%, alpha 0.05)"}, ""},
		{"improvement is not a failure", []string{"testdata/bench/new.txt", "testdata/bench/old.txt"}, exitOK,
			[]string{"-16.60% (p=0.029 n=4)", "better", "no regressions"}, ""},
		{"below threshold", []string{"-threshold", "25%", "testdata/bench/old.txt", "testdata/bench/new.txt"}, exitOK,
			[]string{"worse", "no regressions (threshold 25%"}, ""},
		{"threshold as fraction", []string{"-threshold", "0.1", "testdata/bench/old.txt", "testdata/bench/new.txt"}, exitFailed,
			[]string{"REGRESSION"}, ""},
		{"same file", []string{"testdata/bench/old.txt", "testdata/bench/old.txt"}, exitOK,
			[]string{"~ (p=1.000 n=4)", "no regressions"}, ""},
		{"bad threshold", []string{"-threshold", "lots", "a", "b"}, exitUsage, nil, "want a percentage"},
		{"bad alpha", []string{"-alpha", "2", "a", "b"}, exitUsage, nil, "want a value between 0 and 1"},
		{"not results", []string{"testdata/bench/old.txt", "bench_test.go"}, exitUnknown, nil, "no benchmark results"},
		{"one file", []string{"testdata/bench/old.txt"}, exitUsage, nil,
			"hotpath: bench: two result files are needed (old new), got 1: testdata/bench/old.txt\n"},
		{"second file missing", []string{"testdata/bench/old.txt", "testdata/bench/nonexist.txt"}, exitUsage, nil,
			"hotpath: bench: testdata/bench/nonexist.txt: no such file\n"},
		{"only file missing", []string{"nonexist.txt"}, exitUsage, nil, "hotpath: bench: nonexist.txt: no such file\n"},
		{"missing .bench file", []string{"old.bench", "new.bench"}, exitUsage, nil, "hotpath: bench: old.bench: no such file\n"},
		{"a directory", []string{"testdata/bench/old.txt", "testdata/bench"}, exitUsage, nil, "bench: testdata/bench: not a regular file"},
		{"three files", []string{"testdata/bench/old.txt", "testdata/bench/new.txt", "testdata/bench/other.txt"}, exitUsage, nil,
			"two result files are needed (old new), got 3"},
		{"nothing in common", []string{"testdata/bench/old.txt", "testdata/bench/other.txt"}, exitUsage, nil,
			`hotpath: bench: nothing to compare: benchcmp: compare "testdata/bench/old.txt" and "testdata/bench/other.txt": no benchmark in common (2 benchmark(s) only in "testdata/bench/old.txt", 1 only in "testdata/bench/other.txt")`},
		{"run flag with files", []string{"-count", "3", "testdata/bench/old.txt", "testdata/bench/new.txt"}, exitUsage, nil,
			"bench: -count applies to running benchmarks, not to comparing results files"},
		{"base with files", []string{"-base", "HEAD~1", "testdata/bench/old.txt", "testdata/bench/new.txt"}, exitUsage, nil,
			"bench: -base applies to running benchmarks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := report(run(t.Context(), append([]string{"bench"}, tt.args...), &stdout, &stderr), &stderr)
			if code != tt.wantCode {
				t.Errorf("bench %q exit = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.wantCode, stdout.String(), stderr.String())
			}
			if tt.wantOut == nil && stdout.Len() > 0 {
				t.Errorf("bench %q stdout = %q, want nothing", tt.args, stdout.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("bench %q stdout = %q, want it to contain %q", tt.args, stdout.String(), w)
				}
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("bench %q stderr = %q, want it to contain %q", tt.args, stderr.String(), tt.wantErr)
			}
		})
	}
}

// tinyModule is a module with one benchmark; slow makes it do 50 times the work and allocate.
func tinyModule(slow bool) map[string]string {
	n, alloc := "1000", ""
	if slow {
		n, alloc = "50000", "\n\t\tsink = make([]byte, 64+len(sinkB))"
	}
	return map[string]string{
		"go.mod": "module example.com/tiny\n\ngo 1.26\n",
		"tiny_test.go": `package tiny

import "testing"

var sink, sinkB []byte
var total int

func BenchmarkWork(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for i := range ` + n + ` {
			total += i * i
		}` + alloc + `
	}
}
`,
	}
}

// gitRepo creates a repository whose history is one commit per entry of versions. Its path holds a
// space, as users' paths do, so every command is tested with one.
func gitRepo(t *testing.T, versions ...map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "my mod")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), "git", append([]string{"-c", "user.name=hotpath", "-c", "user.email=hotpath@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %q: %v\n%s", args, err, out)
		}
	}
	gitIn("init", "--quiet")
	for i, files := range versions {
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		gitIn("add", "-A")
		gitIn("commit", "--quiet", "-m", "version "+string(rune('1'+i)))
	}
	return dir
}

// TestBenchRevisions is a real run: two commits, test binaries built for the working tree and for
// HEAD~1 in a temporary worktree, run interleaved four times each.
func TestBenchRevisions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs test binaries")
	}
	for _, tool := range []string{"git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := gitRepo(t, tinyModule(false), tinyModule(true))
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "-base", "HEAD~1", "-count", "4", "-benchtime", "200x", "."}
	code := report(run(t.Context(), args, &stdout, &stderr), &stderr)
	if code != exitFailed {
		t.Errorf("bench %q exit = %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, exitFailed, stdout.String(), stderr.String())
	}
	for _, want := range []string{
		"Work-",                  // the benchmark's row
		"REGRESSION",             // 50× the work
		"allocs/op",              // exact unit table
		"+∞ (exact)",             // 0 → 1 allocs/op
		"(p=0.029 n=4)",          // the smallest p four runs a side can give
		"example.com/tiny Work-", // listed among the regressions
		"base (HEAD~1) sec/op",   // the sides' labels
		"working tree sec/op",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("bench %q stdout lacks %q:\n%s", args, want, stdout.String())
		}
	}
	if got := strings.Count(stderr.String(), ": base, working tree"); got != 4 {
		t.Errorf("bench stderr shows %d interleaved base/head runs, want 4:\n%s", got, stderr.String())
	}
	out, err := exec.CommandContext(t.Context(), "git", "-C", dir, "worktree", "list").Output()
	if err != nil || strings.Count(string(out), "\n") != 1 {
		t.Errorf("git worktree list after bench = %q, %v; want only the main worktree", out, err)
	}
}

func TestBenchRevisionErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git")
	}
	dir := gitRepo(t, tinyModule(false))
	t.Chdir(dir)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no such revision", []string{"-base", "nope", "."}, `-base: gitrev: revision "nope": not a commit`},
		{"no parent", []string{"-base", "HEAD~1", "."}, `-base: gitrev: revision "HEAD~1": not a commit`},
		{"zero count", []string{"-count", "0"}, "-count 0: want at least 1"},
		{"bad regexp", []string{"-bench", "Sum["}, `hotpath: bench: -bench "Sum[": error parsing regexp: missing closing ]: ` + "`[`\n"},
		{"bad benchtime", []string{"-benchtime", "fast"}, `bench: -benchtime "fast": want a duration such as 500ms or a count such as 100x`},
		{"zero benchtime", []string{"-benchtime", "0x"}, `bench: -benchtime "0x": want`},
		{"no such package", []string{"./nope"}, "bench: gocmd: go list:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := report(run(t.Context(), append([]string{"bench"}, tt.args...), &stdout, &stderr), &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("bench %q = exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr.String(), exitUsage, tt.wantErr)
			}
			// Flags and arguments are checked before anything is checked out or built.
			if strings.Contains(stderr.String(), "bench: building") {
				t.Errorf("bench %q built before failing:\n%s", tt.args, stderr.String())
			}
		})
	}
}

// TestBenchSelf runs "hotpath bench -base HEAD~1" on this repository, bounded to one small benchmark
// and four runs a side. It skips outside a git checkout or when HEAD~1 predates internal/benchcmp.
func TestBenchSelf(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs test binaries")
	}
	if err := exec.CommandContext(t.Context(), "git", "grep", "-q", "func BenchmarkCompare", "HEAD~1", "--", "../../internal/benchcmp").Run(); err != nil {
		t.Skip("HEAD~1 of this checkout has no internal/benchcmp BenchmarkCompare")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "-base", "HEAD~1", "-count", "4", "-bench", "^BenchmarkCompare$", "-benchtime", "20x",
		"-threshold", "1000%", "../../internal/benchcmp"}
	code := report(run(t.Context(), args, &stdout, &stderr), &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), "Compare-") || !strings.Contains(stdout.String(), "no regressions") {
		t.Errorf("bench %q = exit %d; want 0 and a Compare row\nstdout:\n%s\nstderr:\n%s", args, code, stdout.String(), stderr.String())
	}
}

func TestBenchGoListDirsWithSpaces(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	root := filepath.Join(t.TempDir(), "my mod")
	for name, text := range map[string]string{
		"go.mod":         "module example.com/mymod\n\ngo 1.26\n",
		"alloc/alloc.go": "package alloc\n",
		"sub/sub.go":     "package sub\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := goListDirs(t.Context(), root, []string{"./..."})
	want := []string{filepath.Join(root, "alloc"), filepath.Join(root, "sub")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("goListDirs(%q, ./...) = %q, %v; want %q", root, got, err, want)
	}
}

// benchReadyEnv names a file that BenchmarkWait in waitModule creates once it runs, so a test can
// interrupt bench while a test binary is running.
const benchReadyEnv = "HOTPATH_TEST_BENCH_READY"

// waitModule is a module whose one benchmark announces itself and then waits far longer than any test.
var waitModule = map[string]string{
	"go.mod": "module example.com/wait\n\ngo 1.26\n",
	"wait_test.go": `package wait

import (
	"os"
	"testing"
	"time"
)

func BenchmarkWait(b *testing.B) {
	os.WriteFile(os.Getenv("` + benchReadyEnv + `"), nil, 0o644)
	time.Sleep(10 * time.Minute)
}
`,
}

// cancelOn is a writer that cancels a context once what was written contains a string.
type cancelOn struct {
	bytes.Buffer
	s      string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), w.s) {
		w.cancel()
	}
	return n, err
}

// TestBenchInterrupted cancels bench's context (what SIGINT and SIGTERM do in main) while it checks
// out, builds and runs: each time it must say "interrupted", once, with exit status 2.
func TestBenchInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs test binaries")
	}
	dir := gitRepo(t, waitModule)
	t.Chdir(dir)
	ready := filepath.Join(t.TempDir(), "ready")
	t.Setenv(benchReadyEnv, ready)
	tests := []struct {
		name, at string // cancel once stderr shows at; "" cancels when the benchmark runs
	}{
		{"checkout", "checking out"},
		{"build", "bench: building"},
		{"run", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			stderr := &cancelOn{s: "\x00", cancel: cancel}
			if tt.at != "" {
				stderr.s = tt.at
			} else {
				os.Remove(ready)
				go func() {
					for ctx.Err() == nil {
						if _, err := os.Stat(ready); err == nil {
							cancel()
							return
						}
						time.Sleep(10 * time.Millisecond)
					}
				}()
			}
			var stdout bytes.Buffer
			args := []string{"bench", "-count", "2", "."}
			code := report(run(ctx, args, &stdout, stderr), stderr)
			if code != exitUnknown || strings.Count(stderr.String(), "interrupted") != 1 ||
				!strings.HasSuffix(stderr.String(), "hotpath: bench: interrupted\n") || strings.Contains(stderr.String(), "killed") {
				t.Errorf("bench %q cancelled at %q = exit %d, stderr:\n%s\nwant exit %d ending in one \"hotpath: bench: interrupted\"",
					args, tt.name, code, stderr.String(), exitUnknown)
			}
			out, err := exec.CommandContext(t.Context(), "git", "-C", dir, "worktree", "list").Output()
			if err != nil || strings.Count(string(out), "\n") != 1 {
				t.Errorf("git worktree list after interrupted bench = %q, %v; want only the main worktree", out, err)
			}
		})
	}
}
