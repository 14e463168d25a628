package benchcmp

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// WriteText prints the report as aligned tables, one per package and unit, in the manner of benchstat,
// with a verdict column, a geomean row and the warnings below each table.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	pkg := "\x00"
	for _, t := range r.Tables {
		if t.Pkg != pkg {
			pkg = t.Pkg
			if pkg != "" {
				fmt.Fprintf(tw, "pkg: %s\n", pkg)
			}
		}
		writeTable(tw, r, t)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(tw, "warning: %s\n", wn)
	}
	return tw.Flush()
}

func writeTable(w io.Writer, r *Report, t Table) {
	centres := make([]float64, 0, 2*len(t.Rows))
	for _, row := range t.Rows {
		if row.OldN > 0 {
			centres = append(centres, row.Old.Center)
		}
		if row.NewN > 0 {
			centres = append(centres, row.New.Center)
		}
	}
	sc := benchunit.CommonScale(centres, benchunit.ClassOf(t.Unit))
	fmt.Fprintf(w, "%s\t%s %s\t%s %s\tdelta\tverdict\n", "name", r.Old, t.Unit, r.New, t.Unit)
	notes := make(map[string]int)
	var noteOrder []string
	for _, row := range t.Rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", row.Name, cell(sc, row.Old, row.OldN, row.Exact),
			cell(sc, row.New, row.NewN, row.Exact), deltaString(row), row.Verdict)
		inRow := make(map[string]bool)
		for _, n := range row.Warnings {
			if inRow[n] {
				continue
			}
			inRow[n] = true
			if notes[n] == 0 {
				noteOrder = append(noteOrder, n)
			}
			notes[n]++
		}
	}
	if t.GeoN > 1 {
		fmt.Fprintf(w, "geomean\t%s\t%s\t%+.2f%%\t\n", sc.Format(t.GeoOld), sc.Format(t.GeoNew), 100*(t.GeoNew/t.GeoOld-1))
	}
	for _, n := range noteOrder {
		fmt.Fprintf(w, "  note: %s (%d of %d rows)\n", n, notes[n], len(t.Rows))
	}
	fmt.Fprintln(w)
}

func cell(sc benchunit.Scaler, s benchmath.Summary, n int, exact bool) string {
	switch {
	case n == 0:
		return "-"
	case exact:
		return sc.Format(s.Center)
	}
	return sc.Format(s.Center) + " ± " + s.PctRangeString()
}

func deltaString(row Row) string {
	var stat string
	switch {
	case row.Verdict == Missing:
		return ""
	case row.Exact:
		stat = "exact"
	case row.OldN == row.NewN:
		stat = fmt.Sprintf("p=%.3f n=%d", row.P, row.OldN)
	default:
		stat = fmt.Sprintf("p=%.3f n=%d+%d", row.P, row.OldN, row.NewN)
	}
	switch {
	case row.Verdict == Same:
		return "~ (" + stat + ")"
	case math.IsInf(row.Delta, 0):
		return strings.Replace(fmt.Sprintf("%+f", row.Delta), "Inf", "∞", 1) + " (" + stat + ")"
	}
	return fmt.Sprintf("%+.2f%% (%s)", 100*row.Delta, stat)
}
