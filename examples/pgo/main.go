// Command pgo runs profile-guided optimisation end to end on the shop workload and prints what it
// changed:
//
//  1. run the workload under load with hotpath's continuous profiler (./examples/pgo/server);
//  2. export the stored CPU windows with `hotpath pgo`;
//  3. compile package shop with and without the profile and print the compiler's decisions that only
//     the profile made (devirtualised and inlined calls, from the compiler's -m output);
//  4. benchmark shop.Total built both ways, runs interleaved, and judge the difference with
//     golang.org/x/perf's statistics (median, 95% interval, Mann-Whitney U test);
//  5. rebuild the server with the profile and show that its build info records it.
//
// Run it from anywhere inside the module:
//
//	go run ./examples/pgo [-load 10s] [-runs 10]
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

const shopPkg = "github.com/hotpath-dev/hotpath/examples/pgo/shop"

func main() {
	load := flag.Duration("load", 10*time.Second, "how long the workload runs under the profiler")
	runs := flag.Int("runs", 10, "benchmark runs of each build (interleaved)")
	keep := flag.String("keep", "", "keep the store, profile and test binaries in this `directory`")
	flag.Parse()
	if err := run(context.Background(), *load, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "pgo example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, load time.Duration, runs int, keep string) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	work := keep
	if work == "" {
		if work, err = os.MkdirTemp("", "hotpath-pgo-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	store, pgo := filepath.Join(work, "store"), filepath.Join(work, "default.pgo")

	step("1. run the workload under load with the continuous profiler (%v)", load)
	if err := goCmd(ctx, root, os.Stdout, "run", "./examples/pgo/server", "-dir", store, "-duration", load.String()); err != nil {
		return err
	}
	step("2. export the CPU windows: hotpath pgo -o default.pgo STORE")
	if err := goCmd(ctx, root, os.Stdout, "run", "./cmd/hotpath", "pgo", "-o", pgo, "-window", "0", store); err != nil {
		return err
	}
	step("3. what the profile changed in package shop (compiler -m output; `hotpath escape` reports the same facts)")
	before, err := decisions(ctx, root, "off")
	if err != nil {
		return err
	}
	after, err := decisions(ctx, root, pgo)
	if err != nil {
		return err
	}
	for _, d := range after {
		if !slices.Contains(before, d) {
			fmt.Println("  + " + d)
		}
	}
	for _, d := range before {
		if !slices.Contains(after, d) {
			fmt.Println("  - " + d)
		}
	}
	step("4. benchmark shop.Total without and with the profile (%d interleaved runs each)", runs)
	if err := compare(ctx, root, work, pgo, runs); err != nil {
		return err
	}
	step("5. rebuild the server with the profile; its build info records it")
	server := filepath.Join(work, "shop-server")
	if err := goCmd(ctx, root, os.Stdout, "build", "-pgo="+pgo, "-o", server, "./examples/pgo/server"); err != nil {
		return err
	}
	var info bytes.Buffer
	if err := goCmd(ctx, root, &info, "version", "-m", server); err != nil {
		return err
	}
	for _, line := range strings.Split(info.String(), "\n") {
		if strings.Contains(line, "-pgo=") {
			fmt.Println("  " + strings.TrimSpace(line))
		}
	}
	return nil
}

func step(format string, args ...any) { fmt.Printf("\n== "+format+"\n", args...) }

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run this inside the hotpath module")
	}
	return filepath.Dir(gomod), nil
}

// goCmd runs the go command in dir, its output to stdout; its stderr is part of the error.
func goCmd(ctx context.Context, dir string, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return nil
}

// decisions compiles package shop with -pgo=pgo and returns the compiler's devirtualisation and
// inlining decisions at call sites, without line:column so the two builds compare.
func decisions(ctx context.Context, root, pgo string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-pgo="+pgo, "-gcflags="+shopPkg+"=-m", "-o", os.DevNull, "./examples/pgo/shop")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go build -pgo=%s: %w\n%s", pgo, err, out)
	}
	var ds []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		file, msg, ok := strings.Cut(line, ": ")
		if !ok || !strings.HasSuffix(strings.SplitN(file, ":", 2)[0], "shop.go") {
			continue
		}
		if strings.Contains(msg, "devirtualiz") || strings.HasPrefix(msg, "inlining call to") {
			fn := strings.SplitN(file, ":", 3)
			where := fn[0]
			if len(fn) > 1 {
				where += ":" + fn[1] // keep the line, drop the column
			}
			ds = append(ds, where+": "+msg)
		}
	}
	slices.Sort(ds)
	return slices.Compact(ds), nil
}

// compare builds the shop benchmark without and with the profile, runs the two binaries in
// alternation, and prints benchstat-style statistics.
func compare(ctx context.Context, root, work, pgo string, runs int) error {
	bins := map[string]string{"before": filepath.Join(work, "before.test"), "after": filepath.Join(work, "after.test")}
	for name, p := range map[string]string{"before": "off", "after": pgo} {
		if err := goCmd(ctx, root, os.Stdout, "test", "-c", "-pgo="+p, "-o", bins[name], "./examples/pgo/shop"); err != nil {
			return err
		}
	}
	samples := map[string][]float64{} // "before sec/op", "after cpu-ns/op", …
	for range runs {
		for _, name := range []string{"before", "after"} {
			out, err := exec.CommandContext(ctx, bins[name], "-test.run=^$", "-test.bench=^BenchmarkTotal$", "-test.benchtime=300ms", "-test.count=1").Output()
			if err != nil {
				return fmt.Errorf("%s: %w", bins[name], err)
			}
			r := benchfmt.NewReader(bytes.NewReader(out), name)
			for r.Scan() {
				if res, ok := r.Result().(*benchfmt.Result); ok {
					if v, ok := res.Value("sec/op"); ok {
						samples[name+" ns/op"] = append(samples[name+" ns/op"], v*1e9)
					}
					if v, ok := res.Value("cpu-sec/op"); ok { // benchfmt normalises cpu-ns/op to seconds
						samples[name+" cpu-ns/op"] = append(samples[name+" cpu-ns/op"], v*1e9)
					}
				}
			}
			if err := r.Err(); err != nil {
				return err
			}
		}
	}
	fmt.Printf("  %-22s %14s %14s %s\n", "", "without PGO", "with PGO", "")
	for _, unit := range []string{"ns/op", "cpu-ns/op"} {
		if len(samples["before "+unit]) == 0 {
			continue
		}
		a := benchmath.NewSample(samples["before "+unit], &benchmath.DefaultThresholds)
		b := benchmath.NewSample(samples["after "+unit], &benchmath.DefaultThresholds)
		sa, sb := benchmath.AssumeNothing.Summary(a, 0.95), benchmath.AssumeNothing.Summary(b, 0.95)
		c := benchmath.AssumeNothing.Compare(a, b)
		fmt.Printf("  %-22s %10.0f ±%-3s %10.0f ±%-3s %s (%s)\n", "shop.Total "+unit, sa.Center, sa.PctRangeString(), sb.Center, sb.PctRangeString(), c.FormatDelta(sa.Center, sb.Center), c)
	}
	return nil
}
