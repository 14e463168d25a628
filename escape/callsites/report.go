package callsites

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// WriteJSON writes the report in the hotpath.callsites/v1 form.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("callsites: write json: %w", err)
	}
	return nil
}

// WriteText writes one block per site, heaviest first, with file names relative to dir.
func (r *Report) WriteText(w io.Writer, dir string) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "indirect call sites ranked by CPU below them (profile %s, total %s)\n\n", r.Profile, fmtWeight(r.Total, r.Unit))
	for _, s := range r.Sites {
		file := s.File
		if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
		fmt.Fprintf(ew, "%s:%d:%d: %s %s call %s in %s: %s (%.1f%%), %d callee(s)\n", file, s.Line, s.Col, s.Class, s.Kind,
			s.Expr, s.Func, fmtWeight(s.Weight, r.Unit), 100*s.Share, len(s.Callees))
		for _, c := range s.Callees {
			fmt.Fprintf(ew, "    %5.1f%%  %s\n", 100*c.Share, shortName(c.Name))
		}
		switch v := s.PGO; {
		case v == nil:
			fmt.Fprintf(ew, "  pgo: no call stat from the compiler\n")
		case v.Devirtualized != "":
			conf := ""
			if !v.Confirmed {
				conf = " (no matching -m line)"
			}
			fmt.Fprintf(ew, "  pgo: devirtualized to %s, %.0f%% of the compiler's weight %d%s\n", shortName(v.Devirtualized), 100*v.Share, v.Weight, conf)
		default:
			hot := "no hot callee"
			if v.Hottest != "" {
				hot = fmt.Sprintf("hottest %s at %.0f%%", shortName(v.Hottest), 100*v.Share)
			}
			fmt.Fprintf(ew, "  pgo: not devirtualized (%s, weight %d)\n", hot, v.Weight)
			if v.Note != "" {
				fmt.Fprintf(ew, "       %s\n", v.Note)
			}
		}
	}
	fmt.Fprintf(ew, "\n%d hot sites, %d cold; %s; pgodebug: %d lines, %d call stats, %d unknown lines, %d unknown fields\n",
		len(r.Sites), r.Cold, r.GoVersion, r.PGOLines, r.PGOStats, r.PGOUnknown, r.UnknownFields)
	for _, u := range r.UnknownLines {
		fmt.Fprintf(ew, "unknown: %s\n", u)
	}
	return ew.err
}

// shortName drops the import path directory from a function name: net/http.(*conn).serve →
// http.(*conn).serve. Slashes inside type arguments are left alone.
func shortName(fn string) string {
	cut := len(fn)
	if i := strings.IndexAny(fn, "(["); i >= 0 {
		cut = i
	}
	return fn[strings.LastIndexByte(fn[:cut], '/')+1:]
}

func fmtWeight(v int64, unit string) string {
	if unit == "nanoseconds" {
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.2fs", float64(v)/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.0fms", float64(v)/1e6)
		}
	}
	return fmt.Sprintf("%d %s", v, unit)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
	return len(p), nil
}
