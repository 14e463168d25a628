package escape

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
)

// RankingSchema names the JSON form of a Ranking.
const RankingSchema = "hotpath.escape.ranked/v1"

// Weigher gives a profile's weight at a source line and in a function. *hotlines.Profile (the pprof
// reader hotpath uses) implements it; any other source of weights can.
type Weigher interface {
	// Self is the weight charged to a line as the innermost frame outside the runtime, inlined frames
	// resolved: the bytes allocated there, or the CPU spent there including the runtime work it called
	// (malloc, write barriers, map hashing).
	Self(file string, line int) int64
	// Func is the weight charged to a function the same way; name is as pprof spells it
	// ("net/http.(*conn).serve").
	Func(name string) int64
}

// CostKinds are the kinds a CPU profile ranks by default: the facts that cost something at run time.
var CostKinds = []Kind{KindHeap, KindNotInlinable, KindBounds, KindNil, KindCopy, KindLeak}

// AllocKinds are the kinds an allocation profile ranks by default: those that can cause the bytes
// allocated at their line. A function that is not inlined keeps its callers from proving its results
// stay on their stack, so its own allocations count against it.
var AllocKinds = []Kind{KindHeap, KindLeak, KindNotInlinable}

// RankedFact is a fact with the profile weight at its line (or, for a function that cannot be inlined,
// in the function).
type RankedFact struct {
	Fact
	Weight int64   `json:"weight"`
	Share  float64 `json:"share"` // Weight as a fraction of the profile's total
}

// Ranking is a report's facts ordered by what they cost in a profile.
type Ranking struct {
	Schema  string       `json:"schema"` // always RankingSchema
	Stamp   Stamp        `json:"stamp"`
	Profile string       `json:"profile"`
	Unit    string       `json:"unit"`   // unit of every weight: "nanoseconds", "bytes"
	Total   int64        `json:"total"`  // the profile's total
	Ranked  int          `json:"ranked"` // facts with weight, before Top cut the list
	Facts   []RankedFact `json:"facts"`  // heaviest first
}

// RankOptions select and bound a ranking. The zero value ranks CostKinds and keeps every fact with weight.
type RankOptions struct {
	Kinds   []Kind // kinds to rank; nil means CostKinds
	Top     int    // keep the first Top facts; 0 keeps all
	Profile string // the profile's name, for the stamp
	Unit    string // the profile's unit
	Total   int64  // the profile's total, for shares
}

// Rank joins the report with a profile by file and line. Facts at lines without weight are left out. Two
// facts on one line get the same weight (the profile cannot tell them apart), so shares may add up to more
// than the line's share. Ties keep the report's order (package, file, line).
func (r *Report) Rank(w Weigher, opts RankOptions) *Ranking {
	kinds := opts.Kinds
	if len(kinds) == 0 {
		kinds = CostKinds
	}
	rk := &Ranking{Schema: RankingSchema, Stamp: r.Stamp, Profile: opts.Profile, Unit: opts.Unit, Total: opts.Total, Facts: []RankedFact{}}
	for _, f := range r.Facts {
		if !slices.Contains(kinds, f.Kind) || f.Line == 0 || f.File == "" || f.File[0] == '<' {
			continue
		}
		var wt int64
		if f.Kind == KindNotInlinable {
			wt = w.Func(f.Package + "." + f.Subject)
		} else {
			file := f.File
			if !filepath.IsAbs(file) && r.Stamp.Dir != "" {
				file = filepath.Join(r.Stamp.Dir, file)
			}
			wt = w.Self(file, f.Line)
		}
		if wt <= 0 {
			continue
		}
		rf := RankedFact{Fact: f, Weight: wt}
		if opts.Total > 0 {
			rf.Share = float64(wt) / float64(opts.Total)
		}
		rk.Facts = append(rk.Facts, rf)
	}
	slices.SortStableFunc(rk.Facts, func(a, b RankedFact) int { return cmp.Compare(b.Weight, a.Weight) })
	rk.Ranked = len(rk.Facts)
	if opts.Top > 0 && len(rk.Facts) > opts.Top {
		rk.Facts = rk.Facts[:opts.Top]
	}
	return rk
}

// WriteJSON writes the ranking in the hotpath.escape.ranked/v1 form.
func (rk *Ranking) WriteJSON(w io.Writer) error { return writeJSON(w, rk, "ranking") }

// WriteText writes one line per fact, heaviest first: rank, share, weight, then the vet-style fact.
func (rk *Ranking) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "facts ranked by the profile at their lines (%s, total %s; %d facts with weight", rk.Profile, formatWeight(rk.Total, rk.Unit), rk.Ranked)
	if len(rk.Facts) < rk.Ranked {
		fmt.Fprintf(ew, ", first %d shown", len(rk.Facts))
	}
	fmt.Fprintln(ew, ")")
	for i, f := range rk.Facts {
		fmt.Fprintf(ew, "%3d %6.2f%% %10s  %s\n", i+1, 100*f.Share, formatWeight(f.Weight, rk.Unit), f.Fact.String())
	}
	return ew.err
}

func formatWeight(v int64, unit string) string {
	switch unit {
	case "bytes":
		switch {
		case v >= 1<<20:
			return fmt.Sprintf("%.1fMiB", float64(v)/(1<<20))
		case v >= 1<<10:
			return fmt.Sprintf("%.1fKiB", float64(v)/(1<<10))
		}
		return fmt.Sprintf("%dB", v)
	case "nanoseconds":
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.2fs", float64(v)/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.0fms", float64(v)/1e6)
		}
		return fmt.Sprintf("%dns", v)
	}
	return fmt.Sprintf("%d", v)
}
