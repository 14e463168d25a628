package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotpath-dev/hotpath/internal/inittrace"
)

const coldstartUsage = `[-runs N] [-first-request URL] [-timeout D] [-top N] ./cmd/x|binary [-- args]

Starts the program -runs times with GODEBUG=inittrace=1 and ranks its packages by the cost of
their init (median wall-clock time, bytes, allocations), with the total. With -first-request it
also times process start to the first successful (2xx) response from URL, then stops the
process; otherwise each run waits for the program to exit (at most -timeout).

Exit status:
  0  every run was measured; runs killed at -timeout (a server without -first-request) are
     counted in the report
  1  not used: coldstart measures, it has no threshold to fail
  2  nothing was reported: bad flags or arguments, a package that does not build, a program
     that exited with a non-zero status or printed no init trace, no successful response to
     -first-request within -timeout (or the program exited first), or interrupted (SIGINT,
     SIGTERM)`

// maxTraceBytes bounds what is kept of a run's standard error: inittrace lines come first, and a
// program that floods stderr must not exhaust memory.
const maxTraceBytes = 8 << 20

type coldstartConfig struct {
	runs    int
	url     string
	timeout time.Duration
	top     int
	target  string
	args    []string
}

// coldRun is what one start of the program showed.
type coldRun struct {
	inits   []inittrace.Init
	first   time.Duration // start to first successful response; 0 without -first-request
	elapsed time.Duration // start to exit (or to the kill)
	killed  bool          // stopped by timeout (no -first-request)
	exit    int
}

func runColdstart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("coldstart", coldstartUsage, stderr)
	var cfg coldstartConfig
	fs.IntVar(&cfg.runs, "runs", 5, "number of starts")
	fs.StringVar(&cfg.url, "first-request", "", "URL to poll until it answers 2xx; the time to it is reported")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "longest a run may take before it is killed")
	fs.IntVar(&cfg.top, "top", 20, "packages to list (0: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return usageError("coldstart: no program given")
	case cfg.runs < 1:
		return usageError("coldstart: -runs %d: want at least 1", cfg.runs)
	case cfg.timeout <= 0:
		return usageError("coldstart: -timeout %v: want a positive duration", cfg.timeout)
	case cfg.url != "" && !strings.HasPrefix(cfg.url, "http://") && !strings.HasPrefix(cfg.url, "https://"):
		return usageError("coldstart: -first-request %q: want an http:// or https:// URL", cfg.url)
	}
	cfg.target, cfg.args = fs.Arg(0), fs.Args()[1:]
	if len(cfg.args) > 0 && cfg.args[0] == "--" {
		cfg.args = cfg.args[1:]
	}
	bin, cleanup, err := coldstartBinary(ctx, cfg.target, stderr)
	if err != nil {
		return interrupted(ctx, "coldstart", err)
	}
	defer cleanup()
	var runs []coldRun
	for i := range cfg.runs {
		fmt.Fprintf(stderr, "coldstart: run %d/%d\n", i+1, cfg.runs)
		r, err := coldstartOnce(ctx, bin, cfg)
		if err != nil {
			return interrupted(ctx, "coldstart", err)
		}
		runs = append(runs, r)
	}
	return coldstartReport(stdout, cfg, runs)
}

// coldstartBinary returns an executable for target: the file itself, or a fresh build of the package.
func coldstartBinary(ctx context.Context, target string, stderr io.Writer) (string, func(), error) {
	if fi, err := os.Stat(target); err == nil && fi.Mode().IsRegular() {
		if fi.Mode()&0o111 == 0 {
			return "", nil, usageError("coldstart: %s is not executable", target)
		}
		abs, err := filepath.Abs(target)
		return abs, func() {}, err
	}
	tmp, err := os.MkdirTemp("", "hotpath-coldstart-")
	if err != nil {
		return "", nil, fmt.Errorf("coldstart: %w", err)
	}
	bin := filepath.Join(tmp, "prog")
	fmt.Fprintf(stderr, "coldstart: building %s\n", target)
	if err := goBuild(ctx, ".", target, bin); err != nil {
		os.RemoveAll(tmp)
		return "", nil, usageError("coldstart: %v", err)
	}
	return bin, func() { os.RemoveAll(tmp) }, nil
}

// limitedBuffer keeps the first max bytes written and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// coldstartOnce starts bin once with the init trace on and measures it. It always returns within
// cfg.timeout (plus the kill and cmd.WaitDelay) and as soon as ctx is cancelled, with ctx's error.
func coldstartOnce(ctx context.Context, bin string, cfg coldstartConfig) (coldRun, error) {
	var r coldRun
	runCtx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	cmd := exec.Command(bin, cfg.args...)
	cmd.Env = append(os.Environ(), "GODEBUG="+withInittrace(os.Getenv("GODEBUG")))
	trace := &limitedBuffer{max: maxTraceBytes}
	cmd.Stdout, cmd.Stderr = io.Discard, trace
	// A child the program started may keep its stderr open after the program is gone; Wait must
	// not wait for it.
	cmd.WaitDelay = time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, fmt.Errorf("coldstart: start %s: %w", bin, err)
	}
	// done is closed once Wait has returned; waitErr is read only after that. A closed channel can be
	// received from any number of times, so firstSuccess may watch it and we may still wait on it.
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	if cfg.url != "" {
		first, err := firstSuccess(runCtx, cfg.url, done)
		r.elapsed = time.Since(start)
		cmd.Process.Kill()
		<-done
		switch {
		case ctx.Err() != nil:
			return r, ctx.Err()
		case errors.Is(err, errExitedEarly):
			return r, fmt.Errorf("coldstart: -first-request %s: %w; it ended with %s%s",
				cfg.url, err, exitStatus(waitErr), programTail(trace.Bytes()))
		case err != nil:
			return r, fmt.Errorf("coldstart: -first-request %s: %w%s", cfg.url, err, programTail(trace.Bytes()))
		}
		r.first = first.Sub(start)
	} else {
		select {
		case <-done:
		case <-runCtx.Done():
			cmd.Process.Kill()
			<-done
			r.killed = true
		}
		r.elapsed = time.Since(start)
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		// A program that fails is reported, not timed: its init trace may stop early (a panic in an
		// init) and its start-to-exit time measures the failure path. A run killed at -timeout is
		// a server that was never meant to exit, and is counted in the report instead.
		if waitErr != nil && !r.killed {
			return r, fmt.Errorf("coldstart: %s failed (%s)%s", cfg.target, exitStatus(waitErr), programTail(trace.Bytes()))
		}
	}
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		r.exit = ee.ExitCode()
	}
	inits, _, err := inittrace.Parse(bytes.NewReader(trace.Bytes()))
	if err != nil {
		return r, fmt.Errorf("coldstart: %w", err)
	}
	if len(inits) == 0 {
		return r, fmt.Errorf("coldstart: %s printed no init trace (is it a Go program, built with Go 1.16 or later?)", bin)
	}
	r.inits = inits
	return r, nil
}

// exitStatus describes how a process ended, from the error of its Wait.
func exitStatus(waitErr error) string {
	if waitErr == nil {
		return "exit status 0"
	}
	return waitErr.Error()
}

// maxTailLines is how much of a failed program's own stderr an error shows.
const maxTailLines = 10

// programTail returns the last lines of a program's stderr without the init trace, as a block
// starting with a newline to append to an error, or "" when the program printed nothing else.
func programTail(stderr []byte) string {
	var keep []string
	for line := range strings.Lines(string(stderr)) {
		line = strings.TrimRight(line, "\r\n")
		if _, err := inittrace.ParseLine([]byte(line)); err == nil || strings.TrimSpace(line) == "" {
			continue
		}
		keep = append(keep, line)
		if len(keep) > maxTailLines {
			keep = keep[1:]
		}
	}
	if len(keep) == 0 {
		return ""
	}
	return "; last lines of its stderr:\n" + strings.Join(keep, "\n")
}

// withInittrace adds inittrace=1 to a GODEBUG value, keeping the user's other settings.
func withInittrace(godebug string) string {
	if godebug == "" {
		return "inittrace=1"
	}
	return godebug + ",inittrace=1"
}

// errExitedEarly is firstSuccess's answer when the program exits before a successful response.
var errExitedEarly = errors.New("program exited before a successful response")

// firstSuccess polls url until it answers 2xx, the process exits (exited is closed) or ctx ends; it
// returns the time the successful response was complete.
func firstSuccess(ctx context.Context, url string, exited <-chan struct{}) (time.Time, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return time.Time{}, err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode/100 == 2 {
				return time.Now(), nil
			}
			if err == nil {
				err = fmt.Errorf("status %s", resp.Status)
			}
		}
		last = err
		select {
		case <-exited:
			return time.Time{}, fmt.Errorf("%w; last: %v", errExitedEarly, last)
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("no successful response in time; last: %v", last)
		case <-time.After(time.Millisecond):
		}
	}
}

func coldstartReport(w io.Writer, cfg coldstartConfig, runs []coldRun) error {
	all := make([][]inittrace.Init, len(runs))
	var elapsed, first []time.Duration
	killed := 0
	for i, r := range runs {
		all[i] = r.inits
		elapsed = append(elapsed, r.elapsed)
		if cfg.url != "" {
			first = append(first, r.first)
		}
		if r.killed {
			killed++
		}
	}
	stats, tot := inittrace.Rank(all)
	fmt.Fprintf(w, "coldstart: %s, %d run(s), medians\n", cfg.target, len(runs))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tpackage\tclock\tbytes\tallocs\tshare\t")
	for i, s := range stats {
		if cfg.top > 0 && i == cfg.top {
			fmt.Fprintf(tw, "\t(%d more)\t\t\t\t\t\n", len(stats)-cfg.top)
			break
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t\n", i+1, s.Pkg, millis(s.Clock), byteSize(s.Bytes), s.Allocs, share(s.Clock, tot.Clock))
	}
	fmt.Fprintf(tw, "\ttotal (%d packages)\t%s\t%s\t%d\t\t\n", tot.Packages, millis(tot.Clock), byteSize(tot.Bytes), tot.Allocs)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "inits done %s after runtime start\n", millis(tot.Done))
	if len(first) > 0 {
		fmt.Fprintf(w, "first response from %s: %s (min %s, max %s)\n", cfg.url, millis(medianDur(first)), millis(slices.Min(first)), millis(slices.Max(first)))
	} else {
		fmt.Fprintf(w, "start to exit: %s (min %s, max %s)", millis(medianDur(elapsed)), millis(slices.Min(elapsed)), millis(slices.Max(elapsed)))
		if killed > 0 {
			fmt.Fprintf(w, "; %d run(s) killed after -timeout %v", killed, cfg.timeout)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func medianDur(xs []time.Duration) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func millis(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

func share(part, total time.Duration) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(total))
}

func byteSize(n uint64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
