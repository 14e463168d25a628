package benchcmp

import (
	"fmt"
	"math"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Options tune a comparison. The zero value works.
type Options struct {
	// Alpha is the significance level of the U test. Zero means 0.05.
	Alpha float64
	// Confidence is the level of the confidence intervals shown around each median. Zero means 0.95.
	Confidence float64
	// Threshold is the smallest relative change (0.05 = 5%) that a significant worsening must reach
	// to count as a regression. Zero means any significant worsening is a regression.
	Threshold float64
	// EqualCounts makes unequal run counts between the two sides an error instead of a warning.
	EqualCounts bool
}

func (o Options) alpha() float64 {
	if o.Alpha == 0 {
		return 0.05
	}
	return o.Alpha
}

func (o Options) confidence() float64 {
	if o.Confidence == 0 {
		return 0.95
	}
	return o.Confidence
}

// Verdict is the outcome for one row.
type Verdict int

// Verdicts, from no change to regression.
const (
	Same       Verdict = iota // not significant, or the centres are equal
	Better                    // significant, in the unit's good direction
	Changed                   // significant, but the unit's good direction is unknown
	Worse                     // significant, in the bad direction, below the threshold
	Regression                // significant, in the bad direction, at or beyond the threshold
	Missing                   // present on one side only
)

func (v Verdict) String() string {
	switch v {
	case Same:
		return "~"
	case Better:
		return "better"
	case Changed:
		return "changed"
	case Worse:
		return "worse"
	case Regression:
		return "REGRESSION"
	case Missing:
		return "missing"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Row is one benchmark in one unit.
type Row struct {
	Pkg, Name, Unit string            // Name is the full name without "Benchmark"; Unit is tidied (sec/op)
	Old, New        benchmath.Summary // median (or exact value) with its interval
	OldN, NewN      int               // run counts
	P               float64           // p-value; 0 for an exact comparison that differs
	Exact           bool              // compared as an exact unit
	Delta           float64           // New.Center/Old.Center - 1; +Inf when Old is 0 and New is not
	Verdict         Verdict
	Warnings        []string
}

// Table is the rows of one package in one unit, with their geometric mean.
type Table struct {
	Pkg, Unit string
	Rows      []Row
	// GeoOld, GeoNew are the geometric means of the centres of the rows present on both sides with
	// positive values; GeoN counts them (0 when there are none).
	GeoOld, GeoNew float64
	GeoN           int
}

// Report is a whole comparison.
type Report struct {
	Old, New string // side labels
	Tables   []Table
	Warnings []string
}

// Regressions returns the rows whose verdict is Regression.
func (r *Report) Regressions() []Row {
	var out []Row
	for _, t := range r.Tables {
		for _, row := range t.Rows {
			if row.Verdict == Regression {
				out = append(out, row)
			}
		}
	}
	return out
}

// key identifies a sample: one benchmark of one package in one unit.
type key struct{ pkg, name, unit string }

// samples groups a set's values by key, remembering first-seen order.
func samples(s *Set, order *[]key, seen map[key]bool) map[key][]float64 {
	m := make(map[key][]float64)
	for _, r := range s.Results {
		pkg := string(r.GetConfig("pkg"))
		name := r.Name.Full()
		for _, v := range r.Values {
			k := key{pkg, string(name), v.Unit}
			m[k] = append(m[k], v.Value)
			if !seen[k] {
				seen[k] = true
				*order = append(*order, k)
			}
		}
	}
	return m
}

// Compare compares old against new. When no benchmark has results on both sides it returns an error
// wrapping ErrNothingInCommon rather than a report made only of missing rows.
func Compare(old, new *Set, opt Options) (*Report, error) {
	var order []key
	seen := make(map[key]bool)
	om, nm := samples(old, &order, seen), samples(new, &order, seen)
	rep := &Report{Old: old.Name, New: new.Name}
	rep.Warnings = append(append(rep.Warnings, old.Warnings...), new.Warnings...)
	if !inCommon(order, om, nm) {
		return nil, fmt.Errorf("benchcmp: compare %q and %q: %w (%d benchmark(s) only in %q, %d only in %q)",
			old.Name, new.Name, ErrNothingInCommon, countNames(om), old.Name, countNames(nm), new.Name)
	}
	tables := make(map[[2]string]int)
	for _, k := range order {
		row, err := compareRow(k, om[k], nm[k], old.Units, new.Units, opt)
		if err != nil {
			return nil, err
		}
		tk := [2]string{k.pkg, k.unit}
		i, ok := tables[tk]
		if !ok {
			i = len(rep.Tables)
			tables[tk] = i
			rep.Tables = append(rep.Tables, Table{Pkg: k.pkg, Unit: k.unit})
		}
		rep.Tables[i].Rows = append(rep.Tables[i].Rows, row)
	}
	for i := range rep.Tables {
		rep.Tables[i].geomean()
	}
	return rep, nil
}

// inCommon reports whether some key has values on both sides.
func inCommon(order []key, om, nm map[key][]float64) bool {
	for _, k := range order {
		if len(om[k]) > 0 && len(nm[k]) > 0 {
			return true
		}
	}
	return false
}

// countNames counts the distinct benchmarks (package and name, any unit) in m.
func countNames(m map[key][]float64) int {
	names := make(map[[2]string]bool, len(m))
	for k := range m {
		names[[2]string{k.pkg, k.name}] = true
	}
	return len(names)
}

// exactUnits are deterministic for a given binary; they are compared exactly when they are constant.
var exactUnits = map[string]bool{"B/op": true, "allocs/op": true}

func compareRow(k key, ov, nv []float64, ou, nu benchfmt.UnitMetadataMap, opt Options) (Row, error) {
	row := Row{Pkg: k.pkg, Name: k.name, Unit: k.unit, OldN: len(ov), NewN: len(nv)}
	thr := benchmath.DefaultThresholds
	thr.CompareAlpha = opt.alpha()
	if len(ov) == 0 || len(nv) == 0 {
		row.Verdict = Missing
		if len(ov) == 0 {
			row.New = benchmath.AssumeNothing.Summary(benchmath.NewSample(nv, &thr), opt.confidence())
			row.Warnings = append(row.Warnings, "only in new")
		} else {
			row.Old = benchmath.AssumeNothing.Summary(benchmath.NewSample(ov, &thr), opt.confidence())
			row.Warnings = append(row.Warnings, "only in old")
		}
		return row, nil
	}
	so, sn := benchmath.NewSample(ov, &thr), benchmath.NewSample(nv, &thr)
	declared := ou.GetAssumption(k.unit) == benchmath.AssumeExact || nu.GetAssumption(k.unit) == benchmath.AssumeExact
	row.Exact = declared || exactUnits[k.unit] && constant(so.Values) && constant(sn.Values)
	var a benchmath.Assumption = benchmath.AssumeNothing
	if row.Exact {
		a = benchmath.AssumeExact
	}
	row.Old, row.New = a.Summary(so, opt.confidence()), a.Summary(sn, opt.confidence())
	cmp := a.Compare(so, sn)
	row.P = cmp.P
	if !row.Exact && len(ov) != len(nv) {
		if opt.EqualCounts {
			return row, fmt.Errorf("benchcmp: compare %s %s: %w: %d old, %d new", k.name, k.unit, ErrUnequalCounts, len(ov), len(nv))
		}
		// With ties the exact U test depends on argument order: keep the more conservative p.
		row.P = math.Max(row.P, a.Compare(sn, so).P)
		row.Warnings = append(row.Warnings, fmt.Sprintf("unequal counts %d+%d: p is the larger of both orders", len(ov), len(nv)))
	}
	for _, w := range append(append(row.Old.Warnings, row.New.Warnings...), cmp.Warnings...) {
		row.Warnings = append(row.Warnings, w.Error())
	}
	row.Delta = delta(row.Old.Center, row.New.Center)
	row.Verdict = verdict(row, better(ou, k.unit), opt)
	return row, nil
}

func constant(xs []float64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

func delta(old, new float64) float64 {
	switch {
	case old == new:
		return 0
	case old == 0:
		return math.Inf(int(math.Copysign(1, new)))
	}
	return new/old - 1
}

// better is +1 when higher values of unit are better, -1 when lower are, 0 when unknown. Beyond
// benchfmt's defaults, tidied time-per-thing units (sec/call, sec/record …) are lower-is-better and
// per-second rates higher-is-better.
func better(m benchfmt.UnitMetadataMap, unit string) int {
	if b := m.GetBetter(unit); b != 0 {
		return b
	}
	switch {
	case strings.HasPrefix(unit, "sec/"):
		return -1
	case strings.HasSuffix(unit, "/s"):
		return 1
	}
	return 0
}

func verdict(row Row, dir int, opt Options) Verdict {
	if row.Delta == 0 || (!row.Exact && row.P > opt.alpha()) {
		return Same
	}
	if dir == 0 {
		return Changed
	}
	if (dir < 0) == (row.Delta < 0) {
		return Better
	}
	if math.Abs(row.Delta) >= opt.Threshold {
		return Regression
	}
	return Worse
}

func (t *Table) geomean() {
	var lo, ln float64
	for _, r := range t.Rows {
		if r.Verdict == Missing || r.Old.Center <= 0 || r.New.Center <= 0 {
			continue
		}
		lo += math.Log(r.Old.Center)
		ln += math.Log(r.New.Center)
		t.GeoN++
	}
	if t.GeoN > 0 {
		t.GeoOld, t.GeoNew = math.Exp(lo/float64(t.GeoN)), math.Exp(ln/float64(t.GeoN))
	}
}
