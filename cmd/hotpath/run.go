package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

// Exit codes shared by every command.
const (
	exitOK      = 0 // the command did its job and found nothing to fail on
	exitFailed  = 1 // the command ran and found violations or regressions
	exitUsage   = 2 // bad flags or arguments, or the packages do not build
	exitUnknown = 2 // any other error: reported on one line, never a stack trace
)

// command is one subcommand: its name, a one-line summary for "hotpath help" and its entry point.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists every subcommand; each lives in a file of its own.
func commands() []command {
	cmds := []command{
		{"coldstart", "rank package init cost (GODEBUG=inittrace=1) and time to first response", runColdstart},
		{"bench", "compare benchmarks of the working tree and a revision (or two files) with statistics", runBench},
		{"callsites", "indirect call sites from a CPU profile: mono/poly/megamorphic, and what PGO devirtualised", runCallsites},
		{"layout", "struct layouts: padding, size classes, false sharing, ranked by a profile", runLayout},
		{"escape", "report what the compiler did: heap escapes, leaks, inlining, devirtualisation, bounds/nil checks, copies", runEscape},
		{"check", "enforce //hotpath: directives (inline, noescape, nobce, devirt) against the compiler", runCheck},
		{"diff", "compare two escape reports: regressions, improvements, other changes", runDiff},
		{"version", "print hotpath's version and the Go toolchain it was built with", runVersion},
		{"pgo", "merge stored CPU profiles from endpoints or store directories into a default.pgo", runPGO},
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

// exitError carries an exit code through run; its message (if any) is printed on one line.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError reports bad flags or arguments (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// failed reports that a command ran and found something to fail on (exit 1). The findings have already
// been printed, so it carries no message of its own.
func failed() error { return &exitError{code: exitFailed} }

// silent wraps an error that has already been shown to the user (compiler output, say) with an exit code.
func silent(code int) error { return &exitError{code: code} }

// report prints err on one line and returns the process exit code.
func report(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "hotpath: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "hotpath: %v\n", err)
	return exitUnknown
}

// run is the whole program minus process plumbing, so tests can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr)
		return usageError("no command given")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		printHelp(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, rest, stdout, stderr)
		}
	}
	return usageError("unknown command %q (run \"hotpath help\" for the list)", name)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "hotpath makes Go programs fast on their hot paths and keeps them fast.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: hotpath <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "hotpath <command> -h" for a command's flags.`)
}

// newFlagSet returns a flag set that reports errors instead of exiting, with a usage line.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: hotpath %s %s\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns a flag error into a usage error (the flag package has printed it).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return silent(exitUsage)
	}
	return nil
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("version: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	v, goVersion := "(devel)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	fmt.Fprintf(stdout, "hotpath %s (%s)\n", v, goVersion)
	return nil
}
