package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hotpath-dev/hotpath/internal/benchcmp"
	"github.com/hotpath-dev/hotpath/internal/gitrev"
)

const benchUsage = `[-base REV] [-count N] [-bench REGEX] [-benchtime D] [-threshold 5%] [-alpha 0.05] [packages]
       hotpath bench [-threshold 5%] [-alpha 0.05] old.txt new.txt

Builds the test binaries of packages (default ".") for the working tree and for REV, runs them
interleaved (base, working tree, base, working tree … -count times each), compares the results
with the Mann–Whitney U test and prints a table with a verdict per benchmark. B/op and allocs/op
that are constant on each side are compared exactly.

With two results files (go test -bench output) it compares them instead. Arguments are results
files when one of them is an existing regular file or is named *.txt or *.bench; then exactly two
are needed, and -base, -count, -bench and -benchtime do not apply.

Exit status:
  0  no benchmark got significantly worse by -threshold or more
  1  at least one regression: significantly worse (p < -alpha) by at least -threshold
  2  nothing was compared: bad flags or arguments, a results file missing or without results,
     no benchmark in common, a package that does not build, a benchmark that failed, or
     interrupted (SIGINT, SIGTERM)`

// percent is a flag holding a fraction, written as "5%" or "0.05".
type percent float64

func (p *percent) String() string { return strconv.FormatFloat(float64(*p)*100, 'g', -1, 64) + "%" }

func (p *percent) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err == nil && strings.HasSuffix(s, "%") {
		v /= 100
	}
	if err != nil || v < 0 || math.IsNaN(v) {
		return fmt.Errorf("want a percentage such as 5%% or a fraction such as 0.05")
	}
	*p = percent(v)
	return nil
}

// benchConfig is the parsed command line of "hotpath bench".
type benchConfig struct {
	base      string
	count     int
	bench     string
	benchtime string
	opt       benchcmp.Options
	args      []string
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", benchUsage, stderr)
	cfg := benchConfig{opt: benchcmp.Options{Threshold: 0.05}}
	fs.StringVar(&cfg.base, "base", "HEAD", "git revision to compare the working tree against")
	fs.IntVar(&cfg.count, "count", 10, "runs of each side (equal on both sides)")
	fs.StringVar(&cfg.bench, "bench", ".", "run only benchmarks matching this regular expression")
	fs.StringVar(&cfg.benchtime, "benchtime", "", "passed to the test binaries as -test.benchtime (default theirs, 1s)")
	thr := percent(cfg.opt.Threshold)
	fs.Var(&thr, "threshold", "smallest significant worsening that fails the command")
	fs.Float64Var(&cfg.opt.Alpha, "alpha", 0.05, "significance level of the U test")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.opt.Threshold = float64(thr)
	cfg.args = fs.Args()
	if cfg.opt.Alpha <= 0 || cfg.opt.Alpha >= 1 {
		return usageError("bench: -alpha %v: want a value between 0 and 1", cfg.opt.Alpha)
	}
	if resultFiles(cfg.args) {
		var runFlag string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "base", "count", "bench", "benchtime":
				runFlag = f.Name
			}
		})
		if runFlag != "" {
			return usageError("bench: -%s applies to running benchmarks, not to comparing results files", runFlag)
		}
		return benchFiles(cfg, stdout)
	}
	if err := cfg.validateRun(); err != nil {
		return err
	}
	if len(cfg.args) == 0 {
		cfg.args = []string{"."}
	}
	return interrupted(ctx, "bench", benchRevisions(ctx, cfg, stdout, stderr))
}

// validateRun checks the flags of a run before anything is built, so a typo costs nothing.
func (cfg benchConfig) validateRun() error {
	if cfg.count < 1 {
		return usageError("bench: -count %d: want at least 1", cfg.count)
	}
	// The test binary splits -bench at slashes into one expression per sub-benchmark level; each
	// part of a valid pattern is valid on its own, and so is the whole.
	if _, err := regexp.Compile(cfg.bench); err != nil {
		return usageError("bench: -bench %q: %v", cfg.bench, err)
	}
	if cfg.benchtime != "" && !validBenchtime(cfg.benchtime) {
		return usageError("bench: -benchtime %q: want a duration such as 500ms or a count such as 100x", cfg.benchtime)
	}
	return nil
}

// validBenchtime accepts what the testing package accepts for -test.benchtime: a positive duration
// or a positive count followed by x.
func validBenchtime(s string) bool {
	if n, ok := strings.CutSuffix(s, "x"); ok {
		v, err := strconv.Atoi(n)
		return err == nil && v > 0
	}
	d, err := time.ParseDuration(s)
	return err == nil && d > 0
}

// resultFiles reports whether args name results files rather than packages: some argument is an
// existing regular file, or is not a directory and is named like a results file. Package patterns
// are directories or import paths, which never end in .txt or .bench in practice.
func resultFiles(args []string) bool {
	for _, a := range args {
		if isFile(a) {
			return true
		}
		fi, err := os.Stat(a)
		if (err != nil || !fi.IsDir()) && (strings.HasSuffix(a, ".txt") || strings.HasSuffix(a, ".bench")) {
			return true
		}
	}
	return false
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// benchFiles compares two existing results files.
func benchFiles(cfg benchConfig, stdout io.Writer) error {
	for _, path := range cfg.args {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return usageError("bench: %s: no such file", path)
		case err != nil:
			return usageError("bench: %v", err)
		case !fi.Mode().IsRegular():
			return usageError("bench: %s: not a regular file", path)
		}
	}
	if len(cfg.args) != 2 {
		return usageError("bench: two result files are needed (old new), got %d: %s", len(cfg.args), strings.Join(cfg.args, " "))
	}
	sets := make([]*benchcmp.Set, 2)
	for i, path := range cfg.args {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		sets[i], err = benchcmp.Read(f, path)
		f.Close()
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return benchReport(sets[0], sets[1], cfg.opt, stdout)
}

// benchReport compares, prints and turns regressions into exit status 1.
func benchReport(old, new *benchcmp.Set, opt benchcmp.Options, stdout io.Writer) error {
	rep, err := benchcmp.Compare(old, new, opt)
	if errors.Is(err, benchcmp.ErrNothingInCommon) {
		return usageError("bench: nothing to compare: %w", err)
	}
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	regs := rep.Regressions()
	if len(regs) == 0 {
		fmt.Fprintf(stdout, "no regressions (threshold %s, alpha %v)\n", (*percent)(&opt.Threshold), opt.Alpha)
		return nil
	}
	fmt.Fprintf(stdout, "%d regression(s) (threshold %s, alpha %v):\n", len(regs), (*percent)(&opt.Threshold), opt.Alpha)
	for _, r := range regs {
		fmt.Fprintf(stdout, "  %s %s %s %+.2f%%\n", r.Pkg, r.Name, r.Unit, 100*r.Delta)
	}
	return failed()
}

// benchTarget is one package's pair of test binaries.
type benchTarget struct {
	rel              string // package directory relative to the repository root
	headDir, baseDir string // where each binary runs (its package directory, for testdata)
	headBin, baseBin string
}

// benchRevisions builds, runs interleaved and compares the working tree against cfg.base.
func benchRevisions(ctx context.Context, cfg benchConfig, stdout, stderr io.Writer) error {
	dirs, err := goListDirs(ctx, ".", cfg.args)
	if err != nil {
		return usageError("bench: %v", err)
	}
	tmp, err := os.MkdirTemp("", "hotpath-bench-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(stderr, "bench: checking out %s in a temporary worktree\n", cfg.base)
	tree, err := gitrev.Checkout(ctx, ".", cfg.base)
	if err != nil {
		return usageError("bench: -base: %v", err)
	}
	defer tree.Close()
	top, wt := tree.Top, tree.Root
	targets, err := buildTargets(ctx, top, wt, tmp, dirs, stderr)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		return usageError("bench: no package with tests in both the working tree and %s", cfg.base)
	}
	var headOut, baseOut bytes.Buffer
	for i := range cfg.count {
		for _, t := range targets {
			fmt.Fprintf(stderr, "bench: run %d/%d %s: base", i+1, cfg.count, t.rel)
			if err := runTestBinary(ctx, cfg, t.baseBin, t.baseDir, &baseOut); err != nil {
				fmt.Fprintln(stderr)
				return err
			}
			fmt.Fprint(stderr, ", working tree\n")
			if err := runTestBinary(ctx, cfg, t.headBin, t.headDir, &headOut); err != nil {
				return err
			}
		}
	}
	base, err := benchcmp.Read(&baseOut, "base ("+cfg.base+")")
	if err != nil {
		return fmt.Errorf("bench: %w (does -bench %q match a benchmark?)", err, cfg.bench)
	}
	head, err := benchcmp.Read(&headOut, "working tree")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	opt := cfg.opt
	opt.EqualCounts = true
	return benchReport(base, head, opt, stdout)
}

// buildTargets compiles the test binary of each package on both sides; packages without tests, or
// missing at the base revision, are skipped with a note.
func buildTargets(ctx context.Context, top, wt, tmp string, dirs []string, stderr io.Writer) ([]benchTarget, error) {
	var targets []benchTarget
	for i, dir := range dirs {
		rel, err := filepath.Rel(top, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, usageError("bench: package directory %s is outside the repository %s", dir, top)
		}
		t := benchTarget{rel: rel, headDir: dir, baseDir: filepath.Join(wt, rel),
			headBin: filepath.Join(tmp, fmt.Sprintf("head-%d.test", i)), baseBin: filepath.Join(tmp, fmt.Sprintf("base-%d.test", i))}
		if _, err := os.Stat(t.baseDir); err != nil {
			fmt.Fprintf(stderr, "bench: skipping %s: not in the base revision\n", rel)
			continue
		}
		fmt.Fprintf(stderr, "bench: building %s (working tree, base)\n", rel)
		if err := goTestCompile(ctx, t.headDir, t.headBin); err != nil {
			return nil, usageError("bench: %v", err)
		}
		if err := goTestCompile(ctx, t.baseDir, t.baseBin); err != nil {
			return nil, fmt.Errorf("bench: base revision: %w", err)
		}
		if !isFile(t.headBin) || !isFile(t.baseBin) {
			fmt.Fprintf(stderr, "bench: skipping %s: no test files\n", rel)
			continue
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// runTestBinary runs one benchmark pass of a test binary in its package directory, appending the
// output to out.
func runTestBinary(ctx context.Context, cfg benchConfig, bin, dir string, out *bytes.Buffer) error {
	args := []string{"-test.run=^$", "-test.bench=" + cfg.bench, "-test.count=1", "-test.benchmem"}
	if cfg.benchtime != "" {
		args = append(args, "-test.benchtime="+cfg.benchtime)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	start := out.Len()
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("bench: %s in %s: %v\n%s%s", filepath.Base(bin), dir, err, tail(out.Bytes()[start:]), stderr.String())
		}
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// tail returns the last lines of b, enough to show a benchmark failure.
func tail(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n") + "\n"
}
