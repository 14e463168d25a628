package escape

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Report is the compiler's view of a set of packages. It is a plain value: safe for concurrent reads, not
// for concurrent modification.
type Report struct {
	Schema   string    `json:"schema"` // always Schema
	Stamp    Stamp     `json:"stamp"`
	Packages []Package `json:"packages"`        // sorted by import path
	Facts    []Fact    `json:"facts"`           // sorted by package, file, line, col, kind, subject
	Kinds    []Kind    `json:"kinds,omitempty"` // the kinds Facts and counts were filtered to; empty means all

	// ExternalOmitted counts, per kind, the facts left out because their file lies outside the analysed
	// packages' directories and modules (Config.External keeps them, marked Fact.External).
	ExternalOmitted map[Kind]int `json:"external_omitted,omitempty"`

	// Parser accounting: every line of compiler output is either a fact, a note (explanations and
	// decisions that are not facts, such as "does not escape") or unknown.
	Lines        int    `json:"lines"`
	Notes        int    `json:"notes"`
	UnknownCount int    `json:"unknown_count"`
	Unknown      []Line `json:"unknown,omitempty"` // the first MaxUnknown unknown lines

	Cache    CacheInfo `json:"cache"`              // which path produced the JSON-log facts
	Warnings []string  `json:"warnings,omitempty"` // facts hotpath knows it could not recover, and why
}

// Stamp records what produced a report, so reports from different toolchains are never compared blindly.
type Stamp struct {
	GoVersion string   `json:"go_version"` // e.g. "go1.26.8"
	GOOS      string   `json:"goos"`
	GOARCH    string   `json:"goarch"`
	Profile   string   `json:"parser_profile"` // the -m=2 grammar used, see ProfileFor
	Flags     []string `json:"flags"`          // compiler flags hotpath added (the JSON log directory is elided)
	GOFLAGS   string   `json:"goflags,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	Tests     bool     `json:"tests,omitempty"`
	External  bool     `json:"external,omitempty"` // facts in code outside the analysed packages are kept (Config.External)
	PGO       string   `json:"pgo,omitempty"`      // the -pgo setting: "auto" (go's default), "off" or a file
	PGOHash   string   `json:"pgo_hash,omitempty"` // sha256 of the profile file when PGO is a file
	Dir       string   `json:"dir"`                // absolute build directory; fact paths are relative to it
	Patterns  []string `json:"patterns"`
}

// Package is one analysed package and its count of facts per kind.
type Package struct {
	Path   string       `json:"path"`
	Counts map[Kind]int `json:"counts"` // the report's facts of this package, per kind (after any filter)
	Cached bool         `json:"cached"` // the go command replayed it from its build cache
}

// CacheInfo says how the JSON-log facts (copies, inlining chains) were obtained for this run.
type CacheInfo struct {
	Compiled  int `json:"compiled"`   // packages compiled by this run (their logs were stored)
	Replayed  int `json:"replayed"`   // packages served from the go build cache, logs read from the store
	Recompile int `json:"recompiled"` // packages rebuilt a second time because their stored log was missing
}

// finish sorts the facts, assigns stable keys, leaves out external facts unless keepExternal (after the
// keys, so that they do not depend on the setting) and counts kinds per package.
func (r *Report) finish(pkgs []string, cached map[string]bool, keepExternal bool) {
	slices.SortStableFunc(r.Facts, func(a, b Fact) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col), cmp.Compare(kindIndex(a.Kind), kindIndex(b.Kind)), cmp.Compare(a.Subject, b.Subject))
	})
	assignKeys(r.Facts)
	if !keepExternal {
		r.Facts = slices.DeleteFunc(r.Facts, func(f Fact) bool {
			if f.External {
				if r.ExternalOmitted == nil {
					r.ExternalOmitted = map[Kind]int{}
				}
				r.ExternalOmitted[f.Kind]++
			}
			return f.External
		})
	}
	seen := make(map[string]bool)
	for _, p := range pkgs {
		if !seen[p] {
			seen[p] = true
			r.Packages = append(r.Packages, Package{Path: p, Cached: cached[p]})
		}
	}
	slices.SortFunc(r.Packages, func(a, b Package) int { return cmp.Compare(a.Path, b.Path) })
	r.count()
}

// count sets each package's counts from the facts r holds.
func (r *Report) count() {
	byPath := make(map[string]*Package, len(r.Packages))
	for i := range r.Packages {
		r.Packages[i].Counts = map[Kind]int{}
		byPath[r.Packages[i].Path] = &r.Packages[i]
	}
	for i := range r.Facts {
		if p := byPath[r.Facts[i].Package]; p != nil {
			p.Counts[r.Facts[i].Kind]++
		}
	}
}

func kindIndex(k Kind) int { return slices.Index(Kinds, k) }

// assignKeys gives each fact a key that does not contain its line or column:
// "kind|package|file base name|func|subject#n", where n counts earlier facts with the same prefix in
// position order. Inserting lines above a fact leaves its key unchanged; so does moving a function within
// its file.
func assignKeys(facts []Fact) {
	seen := make(map[string]int, len(facts))
	var b strings.Builder
	for i := range facts {
		f := &facts[i]
		b.Reset()
		b.WriteString(string(f.Kind))
		b.WriteByte('|')
		b.WriteString(f.Package)
		b.WriteByte('|')
		b.WriteString(filepath.Base(f.File))
		b.WriteByte('|')
		b.WriteString(f.Func)
		b.WriteByte('|')
		b.WriteString(f.Subject)
		if f.To != "" {
			b.WriteString("→")
			b.WriteString(f.To)
		}
		k := b.String()
		n := seen[k]
		seen[k] = n + 1
		f.Key = k + "#" + strconv.Itoa(n)
	}
}

// Filter returns a copy of r holding only facts of the given kinds (all kinds if none are given), with
// the package counts and Kinds to match. r is left unchanged.
func (r *Report) Filter(kinds ...Kind) *Report {
	out := *r
	if len(kinds) == 0 {
		return &out
	}
	out.Kinds = slices.Clone(kinds)
	if len(r.Kinds) > 0 {
		out.Kinds = slices.DeleteFunc(out.Kinds, func(k Kind) bool { return !slices.Contains(r.Kinds, k) })
	}
	slices.SortFunc(out.Kinds, func(a, b Kind) int { return cmp.Compare(kindIndex(a), kindIndex(b)) })
	out.Kinds = slices.Compact(out.Kinds)
	out.ExternalOmitted = nil
	for k, n := range r.ExternalOmitted {
		if slices.Contains(kinds, k) {
			if out.ExternalOmitted == nil {
				out.ExternalOmitted = map[Kind]int{}
			}
			out.ExternalOmitted[k] = n
		}
	}
	out.Facts = nil
	for _, f := range r.Facts {
		if slices.Contains(kinds, f.Kind) {
			out.Facts = append(out.Facts, f)
		}
	}
	out.Packages = make([]Package, len(r.Packages))
	for i, p := range r.Packages {
		out.Packages[i] = Package{Path: p.Path, Cached: p.Cached}
	}
	out.count()
	return &out
}

// kinds is the list of kinds r reports: its filter, else all.
func (r *Report) kinds() []Kind {
	if len(r.Kinds) > 0 {
		return r.Kinds
	}
	return Kinds
}

// WriteJSON writes r in the hotpath.escape/v1 form, indented, with a trailing newline.
func (r *Report) WriteJSON(w io.Writer) error { return writeJSON(w, r, "json") }

// writeJSON writes v indented, without HTML escaping (messages hold "<-" and "&x"), one value per call.
func writeJSON(w io.Writer, v any, what string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("escape: write %s: %w", what, err)
	}
	return nil
}

// WriteText writes r vet-style: per package a "# path" header and one "file:line:col: kind: message"
// line per fact, then a table of counts per package and kind (the kinds of its filter only), then a
// summary line, warnings and unknown lines.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	pkg := "\x00"
	for i := range r.Facts {
		f := &r.Facts[i]
		if f.Package != pkg {
			pkg = f.Package
			fmt.Fprintf(ew, "# %s\n", pkg)
		}
		fmt.Fprintln(ew, f.String())
	}
	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "package\t")
	kinds := r.kinds()
	for _, k := range kinds {
		fmt.Fprintf(tw, "%s\t", k)
	}
	fmt.Fprintln(tw)
	total := map[Kind]int{}
	for _, p := range r.Packages {
		fmt.Fprintf(tw, "%s\t", p.Path)
		for _, k := range kinds {
			fmt.Fprintf(tw, "%d\t", p.Counts[k])
			total[k] += p.Counts[k]
		}
		fmt.Fprintln(tw)
	}
	if len(r.Packages) > 1 {
		fmt.Fprintf(tw, "total (%d packages)\t", len(r.Packages))
		for _, k := range kinds {
			fmt.Fprintf(tw, "%d\t", total[k])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	s := r.Stamp
	facts := strconv.Itoa(len(r.Facts)) + " facts"
	if len(r.Kinds) > 0 {
		facts += " (" + kindNames(r.Kinds) + ")"
	}
	omitted := 0
	for _, n := range r.ExternalOmitted {
		omitted += n
	}
	if omitted > 0 {
		facts += " (" + strconv.Itoa(omitted) + " more, in code outside the analysed packages, left out)"
	}
	fmt.Fprintf(ew, "\n%s %s/%s, parser %s, %d lines: %s, %d notes, %d unknown; packages compiled %d, from the build cache %d, recompiled for their log %d\n",
		s.GoVersion, s.GOOS, s.GOARCH, s.Profile, r.Lines, facts, r.Notes, r.UnknownCount,
		r.Cache.Compiled, r.Cache.Replayed, r.Cache.Recompile)
	for _, wmsg := range r.Warnings {
		fmt.Fprintf(ew, "warning: %s\n", wmsg)
	}
	for _, u := range r.Unknown {
		fmt.Fprintf(ew, "unknown line (%s): %s\n", u.Package, u.Text)
	}
	return ew.err
}

func kindNames(kinds []Kind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("escape: write text: %w", err)
	}
	return n, err
}
