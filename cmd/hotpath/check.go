package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hotpath-dev/hotpath/escape"
	"github.com/hotpath-dev/hotpath/internal/annotate"
)

const checkUsage = "[-format text|json|github|sarif] [-tags T] [-test] [-pgo FILE|off] [-v] [packages]"

// checkRules describe the directives for SARIF consumers.
var checkRules = []annotate.Rule{
	{ID: "hotpath:inline", Short: "The function must be inlinable, or the calls on the line inlined."},
	{ID: "hotpath:noescape", Short: "Nothing in the function or on the line may be heap-allocated or leak to the heap."},
	{ID: "hotpath:nobce", Short: "No bounds check may remain in the function or on the line."},
	{ID: "hotpath:devirt", Short: "The interface call on the line must be devirtualised."},
	{ID: "hotpath:directive", Short: "A //hotpath: directive is malformed or misplaced."},
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", checkUsage, stderr)
	format := fs.String("format", "text", "output `format`: "+findingFormats)
	tags := fs.String("tags", "", "comma-separated build `tags`")
	tests := fs.Bool("test", false, "include _test.go files and their directives")
	pgo := fs.String("pgo", "", "PGO `profile` file, or off (default: the go command's auto)")
	verbose := fs.Bool("v", false, "also list the directives that hold")
	setHelp(fs, checkHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFindingFormat("check", *format); err != nil {
		return err
	}
	cfg := escape.Config{Patterns: fs.Args(), Tests: *tests, PGO: *pgo, CacheDir: userCacheDir()}
	if *tags != "" {
		cfg.Tags = strings.Split(*tags, ",")
	}
	// Build first: a package that does not compile gets the compiler's errors, once, as it printed them.
	rep, err := escape.Analyze(ctx, cfg)
	if err != nil {
		return escapeError(err, stderr)
	}
	dirs, derr := escape.ParseDirectives(ctx, cfg)
	var bad []*escape.DirectiveError
	if derr != nil {
		if bad = directiveErrors(derr); bad == nil {
			return escapeError(derr, stderr)
		}
	}
	verdicts := escape.Verify(rep, dirs)
	if *format == "json" {
		if err := writeCheckJSON(stdout, verdicts, bad); err != nil {
			return err
		}
	} else if err := writeFindings(stdout, *format, checkRules, checkFindings(verdicts, bad, *verbose)); err != nil {
		return err
	}
	failedN, elim := 0, 0
	for _, v := range verdicts {
		switch v.Outcome {
		case escape.OutcomeFailed:
			failedN++
		case escape.OutcomeEliminated:
			elim++
		}
	}
	if *format == "text" {
		fmt.Fprintf(stderr, "hotpath check: %d directives, %d verdicts: %d failed, %d eliminated as dead code, %d malformed\n",
			len(dirs), len(verdicts), failedN, elim, len(bad))
	}
	if failedN > 0 || len(bad) > 0 {
		return failed()
	}
	return nil
}

// directiveErrors returns the *DirectiveError values joined in err, or nil if err holds anything else.
func directiveErrors(err error) []*escape.DirectiveError {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []*escape.DirectiveError
	for _, e := range errs {
		var de *escape.DirectiveError
		if !errors.As(e, &de) {
			return nil
		}
		out = append(out, de)
	}
	return out
}

func checkFindings(vs []escape.Verdict, bad []*escape.DirectiveError, verbose bool) []annotate.Finding {
	var out []annotate.Finding
	for _, d := range bad {
		out = append(out, annotate.Finding{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col,
			Rule: "hotpath:directive", Level: annotate.LevelError, Message: d.Msg})
	}
	for _, v := range vs {
		level := annotate.LevelError
		switch v.Outcome {
		case escape.OutcomeEliminated:
			level = annotate.LevelNote
		case escape.OutcomeOK:
			if !verbose {
				continue
			}
			level = annotate.LevelNote
		}
		msg := v.Msg
		if v.Outcome != escape.OutcomeFailed {
			msg = string(v.Outcome) + ": " + msg
		}
		out = append(out, annotate.Finding{File: v.Pos.File, Line: v.Pos.Line, Col: v.Pos.Col,
			Rule: "hotpath:" + string(v.Directive.Kind), Level: level, Message: msg})
	}
	return out
}

// checkJSON is the JSON form of hotpath check's result.
type checkJSON struct {
	Schema    string                  `json:"schema"`
	Verdicts  []verdictJSON           `json:"verdicts"`
	Malformed []escape.DirectiveError `json:"malformed,omitempty"`
}

type verdictJSON struct {
	Kind    escape.DirectiveKind  `json:"kind"`
	Scope   escape.DirectiveScope `json:"scope"`
	Func    string                `json:"func,omitempty"`
	Outcome escape.Outcome        `json:"outcome"`
	Pos     escape.Pos            `json:"pos"`
	Msg     string                `json:"message"`
	Facts   []escape.Fact         `json:"facts,omitempty"`
}

func writeCheckJSON(w io.Writer, vs []escape.Verdict, bad []*escape.DirectiveError) error {
	out := checkJSON{Schema: "hotpath.check/v1", Verdicts: []verdictJSON{}}
	for _, v := range vs {
		out.Verdicts = append(out.Verdicts, verdictJSON{Kind: v.Directive.Kind, Scope: v.Directive.Scope,
			Func: v.Directive.Func, Outcome: v.Outcome, Pos: v.Pos, Msg: v.Msg, Facts: v.Facts})
	}
	for _, d := range bad {
		out.Malformed = append(out.Malformed, *d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
