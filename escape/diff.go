package escape

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// ChangeClass sorts a difference between two reports by what it means for performance.
type ChangeClass string

// The classes of change, in the order a diff lists them.
const (
	// Regression: a new heap allocation or parameter leak, a function that lost its inlinability or a
	// call that lost its inlining, a new bounds check, a lost devirtualisation.
	Regression ChangeClass = "regression"
	// Improvement: the reverse of a regression.
	Improvement ChangeClass = "improvement"
	// Neutral: everything else that changed (costs, nil checks, copies, facts that moved to a renamed
	// function, calls that went away with the code).
	Neutral ChangeClass = "changed"
)

// Change is one difference between a base and a head report.
type Change struct {
	Class ChangeClass `json:"class"`
	// What says what happened, in words: "new heap allocation", "inlining lost", "moved to renamed function".
	What string `json:"what"`
	// Base and Head are the fact before and after; Base is nil for an added fact, Head for a removed one.
	Base *Fact `json:"base,omitempty"`
	Head *Fact `json:"head,omitempty"`
}

// Fact returns the fact to show for c: the head fact, or the base fact when it was removed.
func (c *Change) Fact() *Fact {
	if c.Head != nil {
		return c.Head
	}
	return c.Base
}

// String formats c vet-style: "file:line:col: kind: what: message".
func (c *Change) String() string {
	f := c.Fact()
	s := fmt.Sprintf("%s: %s: %s: %s", f.Pos, f.Kind, c.What, f.Message())
	if f.Func != "" {
		s += " (in " + f.Func + ")"
	}
	if c.Base != nil && c.Head != nil && c.Base.Kind != c.Head.Kind {
		s += fmt.Sprintf(" (was %s: %s)", c.Base.Kind, c.Base.Message())
	}
	return s
}

// DiffSchema names the JSON form of a ReportDiff.
const DiffSchema = "hotpath.escape.diff/v1"

// ReportDiff is what changed between two reports: regressions first, then improvements, then other
// changes, each in head position order.
type ReportDiff struct {
	Schema string `json:"schema"` // always DiffSchema
	Base   Stamp  `json:"base"`
	Head   Stamp  `json:"head"`
	// Toolchain is set when the two reports come from different Go versions or targets: differences
	// may then come from the compiler rather than the code.
	Toolchain string `json:"toolchain,omitempty"`
	// Settings is set when the build settings (flags, tags, PGO profile) differ.
	Settings  string   `json:"settings,omitempty"`
	Changes   []Change `json:"changes"`
	Unchanged int      `json:"unchanged"` // facts present in both with no change
	// OnlyBase and OnlyHead name the packages analysed on one side only; their facts are not compared
	// (a different package set is not a change to the code).
	OnlyBase []string `json:"only_base,omitempty"`
	OnlyHead []string `json:"only_head,omitempty"`
}

// Count returns the number of changes of class c.
func (d *ReportDiff) Count(c ChangeClass) int {
	n := 0
	for i := range d.Changes {
		if d.Changes[i].Class == c {
			n++
		}
	}
	return n
}

// Diff compares two reports of the same code at two points in time. Facts are matched by their stable
// Key, which holds no line or column, so code that moves (lines inserted above it) is not a change; facts
// left over are matched again without their function, so a renamed function is a move, not a regression;
// a function that was inlinable in base and is not in head is one change, "inlinability lost".
func Diff(base, head *Report) ReportDiff {
	d := ReportDiff{Schema: DiffSchema, Base: base.Stamp, Head: head.Stamp}
	if base.Stamp.GoVersion != head.Stamp.GoVersion || base.Stamp.GOOS != head.Stamp.GOOS || base.Stamp.GOARCH != head.Stamp.GOARCH {
		d.Toolchain = fmt.Sprintf("%s %s/%s → %s %s/%s", base.Stamp.GoVersion, base.Stamp.GOOS, base.Stamp.GOARCH,
			head.Stamp.GoVersion, head.Stamp.GOOS, head.Stamp.GOARCH)
	}
	if s := settingsChange(base.Stamp, head.Stamp); s != "" {
		d.Settings = s
	}
	baseFacts, headFacts := d.commonPackages(base, head)
	removed, added := d.matchKeys(baseFacts, headFacts)
	removed, added = d.matchMoves(removed, added)
	removed, added = d.matchRenames(removed, added)
	removed, added = d.matchInlinability(removed, added)
	headInlinable := inlinableSet(head)
	for _, f := range removed {
		d.Changes = append(d.Changes, removedChange(f, headInlinable))
	}
	for _, f := range added {
		d.Changes = append(d.Changes, addedChange(f))
	}
	order := map[ChangeClass]int{Regression: 0, Improvement: 1, Neutral: 2}
	slices.SortStableFunc(d.Changes, func(a, b Change) int {
		fa, fb := a.Fact(), b.Fact()
		return cmp.Or(cmp.Compare(order[a.Class], order[b.Class]), cmp.Compare(fa.Package, fb.Package),
			cmp.Compare(fa.File, fb.File), cmp.Compare(fa.Line, fb.Line), cmp.Compare(fa.Col, fb.Col))
	})
	return d
}

// commonPackages records the packages on one side only and returns each side's facts in packages both
// reports analysed.
func (d *ReportDiff) commonPackages(base, head *Report) ([]Fact, []Fact) {
	in := func(r *Report) map[string]bool {
		m := map[string]bool{}
		for _, p := range r.Packages {
			m[p.Path] = true
		}
		return m
	}
	bp, hp := in(base), in(head)
	for p := range bp {
		if !hp[p] {
			d.OnlyBase = append(d.OnlyBase, p)
		}
	}
	for p := range hp {
		if !bp[p] {
			d.OnlyHead = append(d.OnlyHead, p)
		}
	}
	slices.Sort(d.OnlyBase)
	slices.Sort(d.OnlyHead)
	keep := func(facts []Fact, other map[string]bool) []Fact {
		out := make([]Fact, 0, len(facts))
		for _, f := range facts {
			if other[f.Package] || len(other) == 0 {
				out = append(out, f)
			}
		}
		return out
	}
	if len(bp) == 0 || len(hp) == 0 { // hand-made reports without a package list: compare everything
		return base.Facts, head.Facts
	}
	return keep(base.Facts, hp), keep(head.Facts, bp)
}

func settingsChange(a, b Stamp) string {
	var parts []string
	if !slices.Equal(a.Flags, b.Flags) {
		parts = append(parts, fmt.Sprintf("flags %v → %v", a.Flags, b.Flags))
	}
	if !slices.Equal(a.Tags, b.Tags) {
		parts = append(parts, fmt.Sprintf("tags %v → %v", a.Tags, b.Tags))
	}
	if a.PGO != b.PGO || a.PGOHash != b.PGOHash {
		parts = append(parts, fmt.Sprintf("pgo %s → %s", pgoLabel(a), pgoLabel(b)))
	}
	if a.Tests != b.Tests {
		parts = append(parts, fmt.Sprintf("tests %v → %v", a.Tests, b.Tests))
	}
	return strings.Join(parts, "; ")
}

func pgoLabel(s Stamp) string {
	if s.PGOHash != "" {
		return s.PGO + "@" + s.PGOHash[:min(12, len(s.PGOHash))]
	}
	return cmp.Or(s.PGO, "auto")
}

// matchKeys pairs facts with equal keys; it returns the facts of each side left unpaired.
func (d *ReportDiff) matchKeys(base, head []Fact) (removed, added []*Fact) {
	byKey := make(map[string]*Fact, len(base))
	for i := range base {
		byKey[base[i].Key] = &base[i]
	}
	paired := make(map[*Fact]bool, len(base))
	for i := range head {
		h := &head[i]
		b := byKey[h.Key]
		if b == nil {
			added = append(added, h)
			continue
		}
		paired[b] = true
		if what := detailChange(b, h); what != "" {
			d.Changes = append(d.Changes, Change{Class: Neutral, What: what, Base: b, Head: h})
		} else {
			d.Unchanged++
		}
	}
	for i := range base {
		if !paired[&base[i]] {
			removed = append(removed, &base[i])
		}
	}
	return removed, added
}

// detailChange describes what differs between two facts with the same key, or "" when nothing that
// matters does (positions do not matter: the key already says it is the same fact).
func detailChange(b, h *Fact) string {
	switch {
	case b.Cost != h.Cost:
		return fmt.Sprintf("cost %d → %d", b.Cost, h.Cost)
	case b.Bytes != h.Bytes:
		return fmt.Sprintf("size %d → %d bytes", b.Bytes, h.Bytes)
	case b.Reason != h.Reason:
		return fmt.Sprintf("reason %q → %q", b.Reason, h.Reason)
	}
	return ""
}

// pairUp pairs leftover facts whose keys are equal (key returns "" for facts it does not consider), in
// position order; pair decides whether two facts are one change and which. It returns what stays unpaired.
func (d *ReportDiff) pairUp(removed, added []*Fact, key func(*Fact) string, pair func(b, h *Fact) (Change, bool)) ([]*Fact, []*Fact) {
	pool := map[string][]*Fact{}
	for _, f := range removed {
		if k := key(f); k != "" {
			pool[k] = append(pool[k], f)
		}
	}
	used := map[*Fact]bool{}
	var stillAdded []*Fact
	for _, h := range added {
		k := key(h)
		if q := pool[k]; k != "" && len(q) > 0 {
			if c, ok := pair(q[0], h); ok {
				pool[k] = q[1:]
				used[q[0]] = true
				d.Changes = append(d.Changes, c)
				continue
			}
		}
		stillAdded = append(stillAdded, h)
	}
	var stillRemoved []*Fact
	for _, f := range removed {
		if !used[f] {
			stillRemoved = append(stillRemoved, f)
		}
	}
	return stillRemoved, stillAdded
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func isDecision(f *Fact) bool { return f.Kind == KindInlinable || f.Kind == KindNotInlinable }

// matchMoves pairs leftover facts that differ only in their enclosing function: the code moved to a
// renamed or another function.
func (d *ReportDiff) matchMoves(removed, added []*Fact) ([]*Fact, []*Fact) {
	key := func(f *Fact) string {
		return string(f.Kind) + "|" + f.Package + "|" + baseName(f.File) + "|" + f.Subject + "|" + f.To + "|" + f.Reason
	}
	return d.pairUp(removed, added, key, func(b, h *Fact) (Change, bool) {
		if h.Func == "" || b.Func == h.Func {
			return Change{}, false
		}
		return Change{Class: Neutral, What: "moved from " + b.Func, Base: b, Head: h}, true
	})
}

// matchRenames pairs a function's inlining decision that disappeared with an identical one (same kind,
// file, cost and reason) that appeared under another name: the function was renamed.
func (d *ReportDiff) matchRenames(removed, added []*Fact) ([]*Fact, []*Fact) {
	key := func(f *Fact) string {
		if !isDecision(f) {
			return ""
		}
		return fmt.Sprintf("%s|%s|%s|%d|%s", f.Kind, f.Package, baseName(f.File), f.Cost, f.Reason)
	}
	return d.pairUp(removed, added, key, func(b, h *Fact) (Change, bool) {
		return Change{Class: Neutral, What: "renamed from " + b.Subject, Base: b, Head: h}, true
	})
}

// matchInlinability pairs a function's inlinable fact in one report with its not-inlinable fact in the
// other: one change, lost or gained.
func (d *ReportDiff) matchInlinability(removed, added []*Fact) ([]*Fact, []*Fact) {
	key := func(f *Fact) string {
		if !isDecision(f) {
			return ""
		}
		return f.Package + "|" + f.Subject
	}
	return d.pairUp(removed, added, key, func(b, h *Fact) (Change, bool) {
		switch {
		case b.Kind == KindInlinable && h.Kind == KindNotInlinable:
			return Change{Class: Regression, What: "inlinability lost", Base: b, Head: h}, true
		case b.Kind == KindNotInlinable && h.Kind == KindInlinable:
			return Change{Class: Improvement, What: "now inlinable", Base: b, Head: h}, true
		}
		return Change{}, false
	})
}

// inlinableSet names the functions the report says can be inlined, by package name and by import path,
// in the forms "inlining call to" subjects take (F in its own package, pkg.F elsewhere).
func inlinableSet(r *Report) map[string]bool {
	set := map[string]bool{}
	for i := range r.Facts {
		f := &r.Facts[i]
		if f.Kind != KindInlinable {
			continue
		}
		set[f.Subject] = true
		set[baseName(basePackage(f.Package))+"."+f.Subject] = true
	}
	return set
}

func removedChange(f *Fact, headInlinable map[string]bool) Change {
	c := Change{Class: Neutral, Base: f, What: "removed"}
	switch f.Kind {
	case KindHeap:
		c.Class, c.What = Improvement, "heap allocation gone"
	case KindLeak:
		if leaksToHeap(f) {
			c.Class, c.What = Improvement, "leak gone"
		}
	case KindBounds:
		c.Class, c.What = Improvement, "bounds check gone"
	case KindNotInlinable:
		c.What = "non-inlinable function gone"
	case KindInlinedCall:
		if !headInlinable[f.Subject] {
			c.Class, c.What = Regression, "inlining lost"
		} else {
			c.What = "inlined call gone (the call may have been deleted)"
		}
	case KindDevirt:
		c.Class, c.What = Regression, "devirtualisation lost"
	}
	return c
}

func addedChange(f *Fact) Change {
	c := Change{Class: Neutral, Head: f, What: "added"}
	switch f.Kind {
	case KindHeap:
		c.Class, c.What = Regression, "new heap allocation"
	case KindLeak:
		if leaksToHeap(f) {
			c.Class, c.What = Regression, "new leak to heap"
		}
	case KindBounds:
		c.Class, c.What = Regression, "new bounds check"
	case KindInlinedCall:
		c.Class, c.What = Improvement, "newly inlined call"
	case KindDevirt:
		c.Class, c.What = Improvement, "newly devirtualised"
	}
	return c
}

// WriteText writes the diff: a header naming both builds (and a toolchain or settings change), then
// regressions, improvements and other changes, vet-style, then a summary line.
func (d *ReportDiff) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "base %s %s/%s, head %s %s/%s\n", d.Base.GoVersion, d.Base.GOOS, d.Base.GOARCH, d.Head.GoVersion, d.Head.GOOS, d.Head.GOARCH)
	if d.Toolchain != "" {
		fmt.Fprintf(ew, "toolchain change: %s: differences below may come from the compiler, not the code\n", d.Toolchain)
	}
	if d.Settings != "" {
		fmt.Fprintf(ew, "build settings changed: %s\n", d.Settings)
	}
	if len(d.OnlyBase) > 0 {
		fmt.Fprintf(ew, "packages only in base, not compared: %s\n", strings.Join(d.OnlyBase, " "))
	}
	if len(d.OnlyHead) > 0 {
		fmt.Fprintf(ew, "packages only in head, not compared: %s\n", strings.Join(d.OnlyHead, " "))
	}
	for _, class := range []ChangeClass{Regression, Improvement, Neutral} {
		n := d.Count(class)
		if n == 0 {
			continue
		}
		fmt.Fprintf(ew, "\n%s (%d):\n", classTitle(class), n)
		for i := range d.Changes {
			if d.Changes[i].Class == class {
				fmt.Fprintln(ew, d.Changes[i].String())
			}
		}
	}
	fmt.Fprintf(ew, "\n%d regressions, %d improvements, %d other changes, %d facts unchanged\n",
		d.Count(Regression), d.Count(Improvement), d.Count(Neutral), d.Unchanged)
	return ew.err
}

func classTitle(c ChangeClass) string {
	switch c {
	case Regression:
		return "regressions"
	case Improvement:
		return "improvements"
	}
	return "other changes"
}

// WriteJSON writes the diff in the hotpath.escape.diff/v1 form.
func (d *ReportDiff) WriteJSON(w io.Writer) error { return writeJSON(w, d, "diff") }

// ReadReport decodes a report written by Report.WriteJSON, refusing other schemas.
func ReadReport(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("escape: read report: %w: %w", ErrNotReport, err)
	}
	if rep.Schema != Schema {
		return nil, fmt.Errorf("escape: read report: schema %q, want %q: %w", rep.Schema, Schema, ErrNotReport)
	}
	for i := range rep.Facts {
		if rep.Facts[i].Key == "" {
			assignKeys(rep.Facts)
			break
		}
	}
	return &rep, nil
}

// ReadReportFile reads a report from a JSON file.
func ReadReportFile(name string) (*Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("escape: read report: %w", err)
	}
	defer f.Close()
	rep, err := ReadReport(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rep, nil
}
