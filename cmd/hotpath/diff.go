package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hotpath-dev/hotpath/escape"
	"github.com/hotpath-dev/hotpath/internal/annotate"
)

const diffUsage = "[-format text|json|github|sarif] [-fail-on regressions|changes|none] BASE.json HEAD.json"

func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("diff", diffUsage, stderr)
	format := fs.String("format", "text", "output `format`: "+findingFormats)
	failOn := fs.String("fail-on", "none", "exit 1 on `what`: regressions, changes (any difference) or none")
	setHelp(fs, diffHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFindingFormat("diff", *format); err != nil {
		return err
	}
	if err := checkFailOn("diff", *failOn); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError("diff: want two report files, BASE.json and HEAD.json (written by hotpath escape -format json)")
	}
	base, err := escape.ReadReportFile(fs.Arg(0))
	if err != nil {
		return usageError("diff: base %v", err)
	}
	head, err := escape.ReadReportFile(fs.Arg(1))
	if err != nil {
		return usageError("diff: head %v", err)
	}
	d := escape.Diff(base, head)
	return writeDiff(stdout, &d, *format, *failOn)
}

func checkFailOn(cmd, v string) error {
	switch v {
	case "regressions", "changes", "none":
		return nil
	}
	return usageError("%s: -fail-on %q: want regressions, changes or none", cmd, v)
}

// writeDiff prints d and turns -fail-on into the exit code.
func writeDiff(w io.Writer, d *escape.ReportDiff, format, failOn string) error {
	var err error
	switch format {
	case "json":
		err = d.WriteJSON(w)
	case "text":
		err = d.WriteText(w)
	default:
		err = writeFindings(w, format, diffRules, diffFindings(d, format == "sarif"))
	}
	if err != nil {
		return err
	}
	switch {
	case failOn == "regressions" && d.Count(escape.Regression) > 0,
		failOn == "changes" && len(d.Changes) > 0:
		return failed()
	}
	return nil
}

var diffRules = []annotate.Rule{
	{ID: "hotpath:regression", Short: "The compiler's decision got worse: a new allocation or bounds check, lost inlining or devirtualisation."},
	{ID: "hotpath:improvement", Short: "The compiler's decision got better."},
	{ID: "hotpath:changed", Short: "The compiler's decision changed."},
}

// diffFindings turns changes into findings at their head (or, when removed, base) positions, which are
// relative to the head's build directory. GitHub annotations carry regressions and improvements only.
func diffFindings(d *escape.ReportDiff, all bool) []annotate.Finding {
	var out []annotate.Finding
	for i := range d.Changes {
		c := &d.Changes[i]
		level := annotate.LevelNote
		switch c.Class {
		case escape.Regression:
			level = annotate.LevelError
		case escape.Neutral:
			if !all {
				continue
			}
		}
		f := c.Fact()
		msg := fmt.Sprintf("%s: %s", c.What, f.Message())
		if d.Toolchain != "" {
			msg += " (toolchain change " + d.Toolchain + ")"
		}
		out = append(out, annotate.Finding{File: f.File, Line: f.Line, Col: f.Col,
			Rule: "hotpath:" + string(c.Class), Level: level, Message: msg})
	}
	return out
}
