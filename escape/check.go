package escape

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Outcome is what checking one directive against a report found.
type Outcome string

// The outcomes of a directive.
const (
	// OutcomeOK: the compiler did what the directive asks.
	OutcomeOK Outcome = "ok"
	// OutcomeFailed: it did not; the verdict says what and why.
	OutcomeFailed Outcome = "failed"
	// OutcomeEliminated: the code the directive covers was removed as dead before the compiler
	// optimised it (a call inside if runtime.GOARCH == "arm" on amd64). Not a failure.
	OutcomeEliminated Outcome = "eliminated"
)

// Verdict is the outcome of one directive, or of one call site of a line directive.
type Verdict struct {
	Directive Directive
	Outcome   Outcome
	// Pos is where to show the verdict: the offending fact's position, the call site, or the
	// directive's own position.
	Pos Pos
	// Msg says what failed and why, with the compiler's reason (cost against budget, escape flow).
	Msg string
	// Facts are the report's facts behind a failure.
	Facts []Fact
}

// Violation is a directive the compiler's decisions do not satisfy.
type Violation = Verdict

// String formats the verdict vet-style: "file:line:col: hotpath:KIND: message".
func (v Verdict) String() string {
	return fmt.Sprintf("%s: hotpath:%s: %s", v.Pos, v.Directive.Kind, v.Msg)
}

// Check returns the directives that r does not satisfy, in source order. Dead-code call sites are not
// violations; Verify reports them.
func Check(r *Report, dirs []Directive) []Violation {
	var out []Violation
	for _, v := range Verify(r, dirs) {
		if v.Outcome == OutcomeFailed {
			out = append(out, v)
		}
	}
	return out
}

// Verify checks every directive against r and returns one verdict per directive (one per call site for
// line directives on calls), in source order. A directive in a package that r does not cover fails: the
// report cannot vouch for it.
func Verify(r *Report, dirs []Directive) []Verdict {
	ix := newFactIndex(r)
	var out []Verdict
	for _, d := range dirs {
		if !ix.pkgs[d.Pkg] {
			out = append(out, Verdict{Directive: d, Outcome: OutcomeFailed, Pos: d.Pos,
				Msg: fmt.Sprintf("package %s is not in the report (analyse it with the same patterns)", d.Pkg)})
			continue
		}
		switch d.Kind {
		case DirectiveInline:
			out = append(out, ix.checkInline(d)...)
		case DirectiveNoEscape:
			out = append(out, ix.checkNoEscape(d)...)
		case DirectiveNoBCE:
			out = append(out, ix.checkFacts(d, func(f *Fact) bool { return f.Kind == KindBounds }, "no bounds checks")...)
		case DirectiveDevirt:
			out = append(out, ix.checkDevirt(d)...)
		}
	}
	slices.SortStableFunc(out, func(a, b Verdict) int { return comparePos(a.Pos, b.Pos) })
	return out
}

// checkNoEscape checks a noescape directive. On a line, a variable whose address is taken there counts
// too: the compiler files "moved to heap: x" at x's declaration (a parameter's, say), and names the
// address-of line only in the escape flow.
func (ix *factIndex) checkNoEscape(d Directive) []Verdict {
	if d.Scope != ScopeLine {
		return ix.checkFacts(d, noEscapeViolation, "nothing escapes")
	}
	return ix.checkFacts(d, func(f *Fact) bool {
		return noEscapeViolation(f) || ix.addressTakenAt(f, d.Pos.File, d.Line)
	}, "nothing escapes", ix.addressOfFacts(d.Pos.File, d.Line)...)
}

// addressTakenAt reports whether heap fact f's escape flow takes the address at file:line.
func (ix *factIndex) addressTakenAt(f *Fact, file string, line int) bool {
	if f.Kind != KindHeap {
		return false
	}
	for _, st := range f.Flow {
		if st.Reason == "address-of" && st.At.Line == line && absFactFile(ix.r.Stamp.Dir, st.At.File) == file {
			return true
		}
	}
	return false
}

// addressOfFacts returns the heap facts of file, on other lines, whose address is taken at line.
func (ix *factIndex) addressOfFacts(file string, line int) []Fact {
	var out []Fact
	for l, facts := range ix.byLine[file] {
		if l == line {
			continue
		}
		for _, f := range facts {
			if ix.addressTakenAt(f, file, line) {
				out = append(out, *f)
			}
		}
	}
	return out
}

// noEscapeViolation: heap allocations, and parameters that leak to the heap (the parameter itself or
// what it points to). A parameter that flows only to a result does not escape: its caller decides.
func noEscapeViolation(f *Fact) bool {
	switch f.Kind {
	case KindHeap:
		return true
	case KindLeak:
		return leaksToHeap(f)
	}
	return false
}

// leaksToHeap reports whether a leak fact's destination is the heap (the parameter or its content).
func leaksToHeap(f *Fact) bool { return f.To == "" || strings.HasPrefix(f.To, "heap") }

// factIndex finds a report's facts by absolute file and line.
type factIndex struct {
	r      *Report
	byLine map[string]map[int][]*Fact // absolute file → line → facts
	pkgs   map[string]bool
}

func newFactIndex(r *Report) *factIndex {
	ix := &factIndex{r: r, byLine: map[string]map[int][]*Fact{}, pkgs: map[string]bool{}}
	for _, p := range r.Packages {
		ix.pkgs[basePackage(p.Path)] = true
	}
	for i := range r.Facts {
		f := &r.Facts[i]
		file := absFactFile(r.Stamp.Dir, f.File)
		m := ix.byLine[file]
		if m == nil {
			m = map[int][]*Fact{}
			ix.byLine[file] = m
		}
		m[f.Line] = append(m[f.Line], f)
	}
	return ix
}

// basePackage strips the test-variant suffix the go command prints ("p [p.test]").
func basePackage(path string) string {
	if i := strings.Index(path, " ["); i >= 0 {
		path = path[:i]
	}
	return strings.TrimSuffix(path, "_test")
}

func absFactFile(dir, file string) string {
	if file == "" || file[0] == '<' || filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(dir, filepath.FromSlash(file))
}

// lines returns the facts on lines first..last of file that match keep, in position order, without
// duplicates (a generic body compiled for several shapes reports the same fact once per shape).
func (ix *factIndex) lines(file string, first, last int, keep func(*Fact) bool) []Fact {
	var out []Fact
	m := ix.byLine[file]
	seen := map[string]bool{}
	for l := first; l <= last; l++ {
		for _, f := range m[l] {
			k := fmt.Sprintf("%d:%d:%s:%s:%s", f.Line, f.Col, f.Kind, f.Subject, f.To)
			if keep(f) && !seen[k] {
				seen[k] = true
				out = append(out, *f)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Fact) int { return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col)) })
	return out
}

// checkFacts fails d when any fact in its range matches bad, or any extra fact is given, one verdict per
// offending fact.
func (ix *factIndex) checkFacts(d Directive, bad func(*Fact) bool, promise string, extra ...Fact) []Verdict {
	facts := append(ix.lines(d.Pos.File, d.FirstLine, d.LastLine, bad), extra...)
	if len(facts) == 0 {
		return []Verdict{{Directive: d, Outcome: OutcomeOK, Pos: d.Pos, Msg: promise}}
	}
	out := make([]Verdict, 0, len(facts))
	for _, f := range facts {
		pos := Pos{File: d.Pos.File, Line: f.Line, Col: f.Col}
		out = append(out, Verdict{Directive: d, Outcome: OutcomeFailed, Pos: pos, Msg: ix.explain(d, &f), Facts: []Fact{f}})
	}
	return out
}

// explain words a fact that breaks d, with the compiler's reason.
func (ix *factIndex) explain(d Directive, f *Fact) string {
	where := cmp.Or(d.Func, "package level")
	switch f.Kind {
	case KindHeap:
		msg := fmt.Sprintf("%s: %s", where, f.Message())
		if flow := flowString(f.Flow); flow != "" {
			msg += ": " + flow
		}
		return msg
	case KindLeak:
		return fmt.Sprintf("%s: parameter %s leaks to the heap%s", where, f.Subject, leakDetail(f))
	case KindBounds:
		return fmt.Sprintf("%s: bounds check left (%s)", where, f.Subject)
	}
	return fmt.Sprintf("%s: %s", where, f.Message())
}

func leakDetail(f *Fact) string {
	if strings.Contains(f.Reason, "content") {
		return " (what it points to leaks)"
	}
	if flow := flowString(f.Flow); flow != "" {
		return ": " + flow
	}
	return ""
}

// flowString condenses an escape explanation to its "from … (reason)" steps.
func flowString(steps []Step) string {
	var parts []string
	for _, s := range steps {
		if s.From == "" {
			continue
		}
		part := s.From
		if s.Reason != "" {
			part += " (" + s.Reason + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " → ")
}

// checkInline: on a function, it must be inlinable; on a line, each call to a Go function inlined there.
func (ix *factIndex) checkInline(d Directive) []Verdict {
	if d.Scope == ScopeFunc {
		return []Verdict{ix.checkInlinable(d)}
	}
	var out []Verdict
	for _, c := range d.Calls {
		pos := Pos{File: d.Pos.File, Line: d.Line, Col: c.Col}
		v := Verdict{Directive: d, Pos: pos}
		switch {
		case ix.hasAt(d.Pos.File, d.Line, c.Col, KindInlinedCall):
			v.Outcome, v.Msg = OutcomeOK, fmt.Sprintf("call to %s inlined", c.Callee)
		case c.Dead:
			v.Outcome, v.Msg = OutcomeEliminated, fmt.Sprintf("call to %s is in dead code and was eliminated", c.Callee)
		default:
			v.Outcome = OutcomeFailed
			v.Msg = fmt.Sprintf("call to %s not inlined", c.Callee)
			if f := ix.funcDecision(c.Pkg, c.Name); f != nil && f.Kind == KindNotInlinable {
				v.Msg += fmt.Sprintf(": %s cannot be inlined: %s", c.Callee, f.Reason)
				v.Facts = []Fact{*f}
			} else if f != nil {
				v.Msg += fmt.Sprintf(" although %s is inlinable (cost %d): the caller may be over its own budget", c.Callee, f.Cost)
			}
		}
		out = append(out, v)
	}
	return out
}

func (ix *factIndex) checkInlinable(d Directive) Verdict {
	v := Verdict{Directive: d, Pos: d.Pos}
	facts := ix.lines(d.Pos.File, d.FirstLine, d.Line, func(f *Fact) bool {
		return (f.Kind == KindInlinable || f.Kind == KindNotInlinable) && sameFunc(f.Subject, d.Func)
	})
	// A generic function is compiled once per shape (F[go.shape.int]), and calls inline that body; the
	// fully instantiated F[int] is a wrapper for function values, whose inlinability does not matter.
	if shaped := slices.DeleteFunc(slices.Clone(facts), func(f Fact) bool { return !strings.Contains(f.Subject, "[go.shape.") }); len(shaped) > 0 {
		facts = shaped
	}
	if len(facts) == 0 {
		v.Outcome = OutcomeFailed
		v.Msg = fmt.Sprintf("%s: the compiler reported no inlining decision: a generic function is compiled only where it is instantiated (analyse with -test, or with a package that uses it)", d.Func)
		return v
	}
	for _, f := range facts {
		if f.Kind == KindNotInlinable {
			v.Outcome, v.Facts = OutcomeFailed, []Fact{f}
			v.Msg = fmt.Sprintf("%s cannot be inlined: %s", f.Subject, f.Reason)
			return v
		}
	}
	v.Outcome = OutcomeOK
	v.Msg = fmt.Sprintf("%s is inlinable (cost %d of %d)", d.Func, facts[0].Cost, cmp.Or(facts[0].Budget, DefaultBudget))
	return v
}

// sameFunc matches a fact's subject to a function name, instantiations of a generic included; a
// generic instantiated in another package is named with its package's name there (pkg.F[go.shape.int]).
func sameFunc(subject, fn string) bool {
	if subject == fn || strings.HasPrefix(subject, fn+"[") {
		return true
	}
	_, rest, ok := strings.Cut(subject, ".")
	return ok && strings.HasPrefix(rest, fn+"[")
}

// funcDecision finds the inlinable or not-inlinable fact for function name in package pkg.
func (ix *factIndex) funcDecision(pkg, name string) *Fact {
	for i := range ix.r.Facts {
		f := &ix.r.Facts[i]
		if (f.Kind == KindInlinable || f.Kind == KindNotInlinable) && basePackage(f.Package) == pkg && sameFunc(f.Subject, name) {
			return f
		}
	}
	return nil
}

func (ix *factIndex) hasAt(file string, line, col int, kind Kind) bool {
	for _, f := range ix.byLine[file][line] {
		if f.Kind == kind && f.Col == col {
			return true
		}
	}
	return false
}

// checkDevirt: each interface call on the line must be devirtualised, statically or by PGO.
func (ix *factIndex) checkDevirt(d Directive) []Verdict {
	devirts := ix.lines(d.Pos.File, d.Line, d.Line, func(f *Fact) bool { return f.Kind == KindDevirt })
	var out []Verdict
	for _, c := range d.Calls {
		v := Verdict{Directive: d, Pos: Pos{File: d.Pos.File, Line: d.Line, Col: c.Col}}
		var hit *Fact
		for i := range devirts {
			if devirts[i].Subject == c.Callee || strings.HasPrefix(devirts[i].Subject, c.Callee+" ") {
				hit = &devirts[i]
				break
			}
		}
		switch {
		case hit != nil:
			v.Outcome, v.Msg = OutcomeOK, fmt.Sprintf("%s devirtualised (%s) to %s", c.Callee, hit.Reason, hit.To)
		case c.Dead:
			v.Outcome, v.Msg = OutcomeEliminated, fmt.Sprintf("%s is in dead code and was eliminated", c.Callee)
		default:
			v.Outcome = OutcomeFailed
			v.Msg = fmt.Sprintf("interface call %s not devirtualised: the compiler cannot see one concrete type; with PGO, the profile must show one hot callee and the callee must be inlinable", c.Callee)
		}
		out = append(out, v)
	}
	return out
}
