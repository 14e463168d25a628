package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotpath-dev/hotpath/escape"
	"github.com/hotpath-dev/hotpath/internal/gocmd"
)

const escapeUsage = "[-format text|json] [-o FILE] [-kinds k1,k2] [-tags T] [-test] [-external] [-pgo FILE|off]\n" +
	"\t[-profile FILE [-top N]] [-baseline BASE.json | -rev REV] [-fail-on regressions|changes|none] [packages]\n" +
	"\n" +
	"Reports what the compiler decided about the packages (default ./...), one fact per line:\n" +
	"\theap           a value is heap-allocated (moved to heap, escapes to heap), with the escape flow\n" +
	"\tleak           a parameter, or what it points to, leaks to the heap or a result\n" +
	"\tinlinable      a function can be inlined (cost, budget)\n" +
	"\tnot-inlinable  a function cannot be inlined, and why\n" +
	"\tinlined-call   a call site was inlined\n" +
	"\tdevirtualized  an interface or function call was made direct (static or PGO)\n" +
	"\tbounds-check   a bounds check the compiler could not remove\n" +
	"\tnil-check      a nil check the compiler could not remove\n" +
	"\tcopy           a large value copy (128 bytes or more)\n" +
	"Facts in code outside the packages' own directories and modules (standard-library or other\n" +
	"modules' generic code instantiated in them) are left out and counted, unless -external.\n" +
	"\n" +
	"Exit codes: 0 report printed; 2 usage error, or the packages do not build (the compiler's\n" +
	"errors are shown as it printed them); with -fail-on, 1 when it finds what it fails on.\n" +
	"\n" +
	"Flags:"

func runEscape(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("escape", escapeUsage, stderr)
	format := fs.String("format", "text", "output `format`: text or json")
	outFile := fs.String("o", "", "write the report to `file` instead of stdout")
	kinds := fs.String("kinds", "", "comma-separated `kinds` to report (default all): "+kindList())
	tags := fs.String("tags", "", "comma-separated build `tags`")
	tests := fs.Bool("test", false, "include _test.go files (compile the test variants)")
	pgo := fs.String("pgo", "", "PGO `profile` file, or off (default: the go command's auto)")
	external := fs.Bool("external", false, "include facts in code outside the packages' own directories and modules (marked external in JSON)")
	noCache := fs.Bool("nocache", false, "do not keep the compiler's JSON logs between runs (forces a recompile)")
	profile := fs.String("profile", "", "rank facts by a CPU or allocation `profile` (pprof) at their lines, heaviest first")
	top := fs.Int("top", 20, "with -profile, show the first `N` facts (0 shows all)")
	var cmp compareFlags
	cmp.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cmp.validate(*format); err != nil {
		return err
	}
	if *profile != "" && cmp.active() {
		return usageError("escape: -profile ranks one report; it does not go with -baseline or -rev")
	}
	var want []escape.Kind
	for _, k := range strings.Split(*kinds, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		kind, ok := escape.ParseKind(k)
		if !ok {
			return usageError("escape: -kinds: unknown kind %q (known: %s)", k, kindList())
		}
		want = append(want, kind)
	}
	prof, err := loadRankProfile(*profile, *top)
	if err != nil {
		return err
	}
	cfg := escape.Config{Patterns: fs.Args(), Tests: *tests, PGO: *pgo, External: *external}
	if *tags != "" {
		cfg.Tags = strings.Split(*tags, ",")
	}
	if !*noCache {
		if d, err := os.UserCacheDir(); err == nil {
			cfg.CacheDir = filepath.Join(d, "hotpath")
		}
	}
	if isTerminal(stderr) {
		cfg.Progress = func(pkg string, done, total int) {
			fmt.Fprintf(stderr, "\r\x1b[Khotpath escape: %d/%d %s", done, total, pkg)
		}
	}
	rep, err := escape.Analyze(ctx, cfg)
	if cfg.Progress != nil {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	if err != nil {
		return escapeError(err, stderr)
	}
	rep = rep.Filter(want...)
	if cmp.active() {
		return cmp.run(ctx, cfg, rep, want, *outFile, *format, stdout, stderr)
	}
	w := stdout
	var f *os.File
	if *outFile != "" {
		if f, err = os.Create(*outFile); err != nil {
			return fmt.Errorf("escape: %w", err)
		}
		w = f
	}
	switch {
	case prof != nil:
		err = writeRanked(w, rep, prof, *profile, want, *top, *format)
	case *format == "json":
		err = rep.WriteJSON(w)
	default:
		err = rep.WriteText(w)
	}
	if f != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("escape: %w", cerr)
		}
	}
	return err
}

// escapeError maps Analyze's errors to exit codes: a build failure prints the compiler's errors as the
// compiler printed them and exits 2; bad input gets one line and exit 2.
func escapeError(err error, stderr io.Writer) error {
	var be *escape.BuildError
	if errors.As(err, &be) {
		stderr.Write(be.Output)
		if len(be.Output) == 0 {
			return usageError("%v", err)
		}
		return silent(exitUsage)
	}
	switch {
	case errors.Is(err, gocmd.ErrGoNotFound), errors.Is(err, gocmd.ErrNoModule),
		errors.Is(err, gocmd.ErrNoPackage), errors.Is(err, escape.ErrInvalidConfig):
		return usageError("%v", err)
	}
	return err
}

func kindList() string {
	s := make([]string, len(escape.Kinds))
	for i, k := range escape.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

// isTerminal reports whether w is a character device (a terminal), without reading the environment.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Stat() (os.FileInfo, error) }) // an *os.File, or main's pipeWriter
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
