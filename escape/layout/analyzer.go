package layout

import (
	"flag"
	"fmt"
	"go/token"
	"reflect"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Result is what the analyzer hands to analyzers that require it: every struct it laid out.
type Result struct {
	Structs []*Struct
}

// Options select what the analyzer reports.
type Options struct {
	// All reports every struct with a better order or blocked order, not only those whose better order
	// crosses a size class or that have false sharing.
	All bool
}

// Analyzer reports struct layouts that matter (see the package doc). Its -reportall flag reports every
// struct with a better order.
var Analyzer = NewAnalyzer(Options{})

// NewAnalyzer returns an analyzer with its own options; its -reportall flag sets opts.All.
func NewAnalyzer(opts Options) *analysis.Analyzer {
	o := opts
	fs := flag.NewFlagSet("layout", flag.ContinueOnError)
	fs.BoolVar(&o.All, "reportall", o.All, "report every struct with a better field order, not only those that cross a size class")
	return &analysis.Analyzer{
		Name: "layout",
		Doc: `report struct layouts that cost memory or cause false sharing

The layout analyzer reports a named struct type when reordering its fields moves it to a smaller heap
size class, or when fields that different goroutines write (atomics, mutexes and the fields they
guard) share a 64-byte cache line, or when a slice or array of small structs holding atomics puts
several elements on one line. Fields never move across explicit padding (_ fields), and suggested
rewrites keep field comments.`,
		URL:        "https://pkg.go.dev/github.com/hotpath-dev/hotpath/escape/layout",
		Flags:      *fs,
		ResultType: reflect.TypeFor[*Result](),
		Run:        func(pass *analysis.Pass) (any, error) { return run(pass, o) },
	}
}

func run(pass *analysis.Pass, o Options) (any, error) {
	structs := Inspect(Input{Fset: pass.Fset, Files: pass.Files, Pkg: pass.Pkg, Info: pass.TypesInfo, Sizes: pass.TypesSizes})
	for _, s := range structs {
		pos := posOf(pass, s)
		if !pos.IsValid() {
			continue
		}
		if s.Best != nil && (o.All || s.ClassSaved() > 0) {
			d := analysis.Diagnostic{Pos: pos, Category: "order", Message: s.OrderMessage()}
			if fix, ok := suggestedFix(pass, s); ok {
				d.SuggestedFixes = []analysis.SuggestedFix{fix}
			}
			pass.Report(d)
		}
		if o.All && s.BestBlocked != "" {
			pass.Report(analysis.Diagnostic{Pos: pos, Category: "order", Message: fmt.Sprintf("struct %s: no smaller order suggested: %s", s.Name, s.BestBlocked)})
		}
		for _, sh := range s.Sharing {
			pass.Report(analysis.Diagnostic{Pos: pos, Category: "false-sharing", Message: s.SharingMessage(sh)})
		}
	}
	return &Result{Structs: structs}, nil
}

// posOf finds the token.Pos of a struct's declaration in this pass.
func posOf(pass *analysis.Pass, s *Struct) token.Pos {
	if s.named == nil {
		return token.NoPos
	}
	return s.named.Origin().Obj().Pos()
}

func suggestedFix(pass *analysis.Pass, s *Struct) (analysis.SuggestedFix, bool) {
	if s.decl == nil || s.Generic {
		return analysis.SuggestedFix{}, false
	}
	name := pass.Fset.File(s.decl.st.Pos()).Name()
	src, err := pass.ReadFile(name)
	if err != nil {
		return analysis.SuggestedFix{}, false
	}
	start, end, text, err := s.edit(pass.Fset, src)
	if err != nil {
		return analysis.SuggestedFix{}, false
	}
	return analysis.SuggestedFix{
		Message:   fmt.Sprintf("reorder the fields of %s", s.Name),
		TextEdits: []analysis.TextEdit{{Pos: start, End: end, NewText: []byte(text)}},
	}, true
}

// OrderMessage describes the struct's better order in one line.
func (s *Struct) OrderMessage() string {
	if s.Best == nil {
		return fmt.Sprintf("struct %s: %d bytes, no better order", s.Name, s.Size)
	}
	b := s.Best
	msg := fmt.Sprintf("struct %s is %d bytes (%d-byte objects) with %d bytes of padding; ordered %s it is %d bytes (%d-byte objects)",
		s.Name, s.Size, s.Class, s.Padding, strings.Join(b.Fields, ", "), b.Size, b.Class)
	if b.PtrBytes < s.PtrBytes {
		msg += fmt.Sprintf(", and the GC scans %d bytes instead of %d", b.PtrBytes, s.PtrBytes)
	}
	return msg
}

// SharingMessage describes one false-sharing hazard in one line.
func (s *Struct) SharingMessage(sh Sharing) string {
	if sh.Line < 0 {
		return fmt.Sprintf("struct %s: false sharing between elements of %s", s.Name, sh.Why)
	}
	return fmt.Sprintf("struct %s: false sharing: %s: %s; separate them with padding to a %d-byte boundary",
		s.Name, strings.Join(sh.Fields, ", "), sh.Why, CacheLine)
}
