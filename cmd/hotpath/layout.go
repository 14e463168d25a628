package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/hotpath-dev/hotpath/escape/layout"
	"github.com/hotpath-dev/hotpath/internal/hotlines"
	"golang.org/x/tools/go/packages"
)

// layoutSchema versions the JSON form of hotpath layout.
const layoutSchema = "hotpath.layout/v1"

func runLayout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("layout", "[-format text|json] [-profile FILE] [-all] [packages]", stderr)
	format := fs.String("format", "text", "output format: text or json")
	profPath := fs.String("profile", "", "allocation or CPU profile (pprof) to rank struct types by the bytes their best order saves")
	all := fs.Bool("all", false, "show every struct type, not only those whose best order crosses a size class or that have false sharing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError("layout: unknown -format %q (want text or json)", *format)
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	var prof *hotlines.Profile
	if *profPath != "" {
		p, err := hotlines.Read(*profPath)
		if err != nil {
			return usageError("layout: %v", err)
		}
		prof = p
	}
	pkgs, err := loadTyped(ctx, patterns, stderr)
	if err != nil {
		return err
	}
	rep := buildLayoutReport(pkgs, prof, *all)
	rep.Profile = *profPath
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeLayoutText(stdout, rep, prof)
}

// loadTyped loads and type-checks packages for the target GOOS/GOARCH. Packages that do not build are
// reported as the type checker saw them, and the command exits 2.
func loadTyped(ctx context.Context, patterns []string, stderr io.Writer) ([]*packages.Package, error) {
	cfg := &packages.Config{
		Context: ctx,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes |
			packages.NeedTypesInfo | packages.NeedTypesSizes | packages.NeedImports,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("load %s: %w", strings.Join(patterns, " "), err)}
	}
	bad := false
	for _, p := range pkgs {
		for _, e := range p.Errors {
			fmt.Fprintln(stderr, e)
			bad = true
		}
	}
	if bad {
		return nil, silent(exitUsage)
	}
	if len(pkgs) == 0 {
		return nil, usageError("no packages match %s", strings.Join(patterns, " "))
	}
	return pkgs, nil
}

// layoutReport is the JSON form of hotpath layout.
type layoutReport struct {
	Schema     string             `json:"schema"`
	GoVersion  string             `json:"go_version"`
	GOARCH     string             `json:"goarch"`
	Profile    string             `json:"profile,omitempty"`
	Structs    []layoutEntry      `json:"structs"`
	Hidden     int                `json:"hidden"` // struct types not shown (nothing that matters; see -all)
	MapRecords []layout.MapRecord `json:"map_records,omitempty"`
}

type layoutEntry struct {
	layout.Ranked
	Suggestion string `json:"suggestion,omitempty"` // the best order as Go source, comments kept
}

func buildLayoutReport(pkgs []*packages.Package, prof *hotlines.Profile, all bool) *layoutReport {
	rep := &layoutReport{Schema: layoutSchema, GoVersion: runtime.Version(), GOARCH: goarch(), Structs: []layoutEntry{}}
	for _, p := range pkgs {
		in := layout.Input{Fset: p.Fset, Files: p.Syntax, Pkg: p.Types, Info: p.TypesInfo, Sizes: p.TypesSizes}
		structs := layout.Inspect(in)
		var ranked []layout.Ranked
		if prof != nil {
			ranked = layout.Rank(in, structs, prof)
			rep.MapRecords = append(rep.MapRecords, layout.MapRecords(in, prof)...)
		} else {
			for _, s := range structs {
				ranked = append(ranked, layout.Ranked{Struct: s})
			}
		}
		for _, r := range ranked {
			show := all || len(r.Sharing) > 0
			if prof != nil {
				show = show || r.Score > 0
			} else {
				show = show || r.Matters()
			}
			if !show {
				rep.Hidden++
				continue
			}
			e := layoutEntry{Ranked: r}
			if r.Best != nil {
				if src, err := os.ReadFile(r.Pos.Filename); err == nil {
					e.Suggestion, _ = r.Suggestion(p.Fset, src)
				}
			}
			rep.Structs = append(rep.Structs, e)
		}
	}
	if prof != nil {
		sortEntries(rep.Structs)
		sortMapRecords(rep.MapRecords)
	}
	return rep
}

func sortEntries(es []layoutEntry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Score > es[j-1].Score; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func sortMapRecords(rs []layout.MapRecord) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Weight > rs[j-1].Weight; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

func goarch() string {
	if a := os.Getenv("GOARCH"); a != "" {
		return a
	}
	return runtime.GOARCH
}

func relPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

func writeLayoutText(w io.Writer, rep *layoutReport, prof *hotlines.Profile) error {
	ew := &errWriter{w: w}
	if prof != nil {
		fmt.Fprintf(ew, "struct types ranked by the heap bytes their best field order saves (%s profile, total %s)\n\n",
			prof.Kind, formatWeight(prof.Total, prof.Unit))
	}
	for _, e := range rep.Structs {
		writeStruct(ew, e, prof)
	}
	if len(rep.MapRecords) > 0 {
		fmt.Fprintln(ew, "map[string]any used as a record on hot lines (a struct has fixed offsets and unboxed fields):")
		for _, m := range rep.MapRecords {
			fmt.Fprintf(ew, "  %s:%d: keys %s: %s (%.1f%%)\n", relPath(m.Pos.Filename), m.Pos.Line,
				quoteAll(m.Keys), formatWeight(m.Weight, prof.Unit), 100*prof.Share(m.Weight))
		}
		fmt.Fprintln(ew)
	}
	fmt.Fprintf(ew, "%d struct types shown, %d hidden (GOARCH=%s; -all shows every type)\n", len(rep.Structs), rep.Hidden, rep.GOARCH)
	return ew.err
}

func writeStruct(w io.Writer, e layoutEntry, prof *hotlines.Profile) {
	s := e.Struct
	fmt.Fprintf(w, "%s:%d:%d: struct %s: %d bytes, align %d, %d-byte objects, %d bytes of padding, GC scans %d bytes\n",
		relPath(s.Pos.Filename), s.Pos.Line, s.Pos.Column, s.Name, s.Size, s.Align, s.Class, s.Padding, s.PtrBytes)
	if prof != nil && e.Weight > 0 {
		fmt.Fprintf(w, "  allocated: %s (%.1f%%)", formatWeight(e.Weight, prof.Unit), 100*prof.Share(e.Weight))
		if e.Objects > 0 {
			fmt.Fprintf(w, ", %d allocations", e.Objects)
		}
		fmt.Fprintf(w, "; best order saves %s\n", formatWeight(e.Score, scoreUnit(prof)))
	}
	fmt.Fprintf(w, "  %6s %5s %5s %5s  %s\n", "offset", "size", "align", "lines", "field")
	for _, f := range s.Fields {
		lines := fmt.Sprint(f.FirstLine)
		if f.LastLine != f.FirstLine {
			lines = fmt.Sprintf("%d-%d", f.FirstLine, f.LastLine)
		}
		note := f.Name + " " + f.Type
		if f.Role != "" {
			note += "  [" + f.Role + "]"
		}
		if f.Barrier {
			note += "  [padding]"
		}
		fmt.Fprintf(w, "  %6d %5d %5d %5s  %s\n", f.Offset, f.Size, f.Align, lines, note)
	}
	for _, h := range s.Holes {
		after := h.After
		if after == "" {
			after = "start"
		}
		fmt.Fprintf(w, "  padding: %d bytes at offset %d (after %s)\n", h.Size, h.Offset, after)
	}
	if s.Best != nil {
		fmt.Fprintf(w, "  best order: %d bytes, %d-byte objects, GC scans %d bytes: %s\n", s.Best.Size, s.Best.Class, s.Best.PtrBytes, strings.Join(s.Best.Fields, ", "))
		if e.Suggestion != "" {
			for _, ln := range strings.Split(e.Suggestion, "\n") {
				fmt.Fprintf(w, "    %s\n", ln)
			}
		}
	}
	if s.BestBlocked != "" {
		fmt.Fprintf(w, "  no smaller order suggested: %s\n", s.BestBlocked)
	}
	for _, sh := range s.Sharing {
		fmt.Fprintf(w, "  %s\n", strings.TrimPrefix(s.SharingMessage(sh), "struct "+s.Name+": "))
	}
	fmt.Fprintln(w)
}

func scoreUnit(p *hotlines.Profile) string {
	if p.Kind == "alloc" {
		return "bytes"
	}
	return p.Unit + "×bytes"
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// formatWeight prints a profile weight in a readable unit.
func formatWeight(v int64, unit string) string {
	switch unit {
	case "bytes":
		switch {
		case v >= 1<<30:
			return fmt.Sprintf("%.2f GiB", float64(v)/(1<<30))
		case v >= 1<<20:
			return fmt.Sprintf("%.2f MiB", float64(v)/(1<<20))
		case v >= 1<<10:
			return fmt.Sprintf("%.1f KiB", float64(v)/(1<<10))
		}
		return fmt.Sprintf("%d B", v)
	case "nanoseconds":
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.2fs", float64(v)/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.1fms", float64(v)/1e6)
		}
		return fmt.Sprintf("%dns", v)
	}
	return fmt.Sprintf("%d %s", v, unit)
}

// errWriter keeps the first write error so that printing code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	if _, err := e.w.Write(p); err != nil {
		e.err = err
	}
	return len(p), nil
}
