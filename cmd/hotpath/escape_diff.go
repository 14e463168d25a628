package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotpath-dev/hotpath/escape"
	"github.com/hotpath-dev/hotpath/internal/gitrev"
)

// compareFlags are hotpath escape's flags for comparing against a base: a saved report or a git revision.
type compareFlags struct {
	baseline, rev, failOn string
}

func (c *compareFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.baseline, "baseline", "", "compare with the report in `file` (from hotpath escape -format json) instead of printing a report")
	fs.StringVar(&c.rev, "rev", "", "compare with the same packages at git `revision` (built in a temporary worktree)")
	fs.StringVar(&c.failOn, "fail-on", "none", "with -baseline or -rev, exit 1 on `what`: regressions, changes or none")
}

func (c *compareFlags) active() bool { return c.baseline != "" || c.rev != "" }

func (c *compareFlags) validate(format string) error {
	if c.baseline != "" && c.rev != "" {
		return usageError("escape: -baseline and -rev are exclusive")
	}
	if err := checkFailOn("escape", c.failOn); err != nil {
		return err
	}
	if c.active() {
		return checkFindingFormat("escape", format)
	}
	if c.failOn != "none" {
		return usageError("escape: -fail-on needs -baseline or -rev")
	}
	if format != "text" && format != "json" {
		return usageError("escape: -format %q: want text or json (github and sarif go with -baseline or -rev)", format)
	}
	return nil
}

// run builds the base report, diffs head against it and writes the diff.
func (c *compareFlags) run(ctx context.Context, cfg escape.Config, head *escape.Report, kinds []escape.Kind, outFile, format string, stdout, stderr io.Writer) error {
	var base *escape.Report
	var err error
	if c.baseline != "" {
		if base, err = escape.ReadReportFile(c.baseline); err != nil {
			return usageError("%v", err)
		}
	} else if base, err = analyzeAtRev(ctx, cfg, head.Stamp, c.rev, stderr); err != nil {
		return err
	}
	d := escape.Diff(base.Filter(kinds...), head)
	w, closeOut, err := createOutput(outFile, stdout)
	if err != nil {
		return fmt.Errorf("escape: %w", err)
	}
	err = writeDiff(w, &d, format, c.failOn)
	if cerr := closeOut(); cerr != nil && err == nil {
		err = fmt.Errorf("escape: %w", cerr)
	}
	return err
}

// analyzeAtRev analyses the same packages as cfg at git revision rev, in a temporary worktree. A package
// directory that does not exist at rev is left out: its facts are all new. When nothing is left, the base
// is an empty report stamped like head.
func analyzeAtRev(ctx context.Context, cfg escape.Config, head escape.Stamp, rev string, stderr io.Writer) (*escape.Report, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("escape: %w", err)
	}
	fmt.Fprintf(stderr, "hotpath escape: checking out %s in a temporary worktree\n", rev)
	tree, err := gitrev.Checkout(ctx, cmpOrString(cfg.Dir, wd), rev)
	if err != nil {
		return nil, usageError("escape: -rev: %v", err)
	}
	defer tree.Close()
	if cfg.Dir, err = tree.Dir(cmpOrString(cfg.Dir, wd)); err != nil {
		return nil, fmt.Errorf("escape: -rev: %w", err)
	}
	if cfg.PGO != "" && cfg.PGO != "off" && cfg.PGO != "auto" && !filepath.IsAbs(cfg.PGO) {
		cfg.PGO = filepath.Join(wd, cfg.PGO)
	}
	cfg.CacheDir = "" // a fresh worktree path: nothing to reuse
	cfg.Patterns = existingPatterns(cfg.Dir, cfg.Patterns, rev, stderr)
	if len(cfg.Patterns) == 0 {
		return &escape.Report{Schema: escape.Schema, Stamp: head}, nil
	}
	base, err := escape.Analyze(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "hotpath escape: at %s:\n", rev)
		return nil, escapeError(err, stderr)
	}
	return base, nil
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// existingPatterns drops the relative package patterns whose directory does not exist under dir.
func existingPatterns(dir string, patterns []string, rev string, stderr io.Writer) []string {
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	var kept []string
	for _, p := range patterns {
		if strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || p == "." {
			if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(p, "/..."))); err != nil {
				fmt.Fprintf(stderr, "hotpath escape: %s does not exist at %s: its facts are all new\n", p, rev)
				continue
			}
		}
		kept = append(kept, p)
	}
	return kept
}
