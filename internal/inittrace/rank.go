package inittrace

import (
	"slices"
	"time"
)

// Stat is one package's init cost across runs: medians of each measure.
type Stat struct {
	Pkg    string
	Clock  time.Duration
	Bytes  uint64
	Allocs uint64
	Runs   int // runs in which the package was traced
}

// Total sums the medians over all packages, and gives the median time at which the last init ended.
type Total struct {
	Packages int
	Clock    time.Duration
	Bytes    uint64
	Allocs   uint64
	Done     time.Duration // median over runs of (last init's Start + Clock)
}

// Rank merges the init records of several runs of one program and orders packages by median clock
// time, most expensive first (ties by bytes, then in init order).
func Rank(runs [][]Init) ([]Stat, Total) {
	type acc struct {
		clock         []time.Duration
		bytes, allocs []uint64
	}
	byPkg := make(map[string]*acc)
	var order []string
	var done []time.Duration
	for _, run := range runs {
		var end time.Duration
		for _, in := range run {
			a := byPkg[in.Pkg]
			if a == nil {
				a = new(acc)
				byPkg[in.Pkg] = a
				order = append(order, in.Pkg)
			}
			a.clock = append(a.clock, in.Clock)
			a.bytes = append(a.bytes, in.Bytes)
			a.allocs = append(a.allocs, in.Allocs)
			end = max(end, in.Start+in.Clock)
		}
		if len(run) > 0 {
			done = append(done, end)
		}
	}
	stats := make([]Stat, 0, len(order))
	var tot Total
	for _, pkg := range order {
		a := byPkg[pkg]
		s := Stat{Pkg: pkg, Clock: median(a.clock), Bytes: median(a.bytes), Allocs: median(a.allocs), Runs: len(a.clock)}
		stats = append(stats, s)
		tot.Clock += s.Clock
		tot.Bytes += s.Bytes
		tot.Allocs += s.Allocs
	}
	tot.Packages = len(stats)
	tot.Done = median(done)
	slices.SortStableFunc(stats, func(x, y Stat) int {
		switch {
		case x.Clock != y.Clock:
			return cmpDesc(x.Clock, y.Clock)
		case x.Bytes != y.Bytes:
			return cmpDesc(x.Bytes, y.Bytes)
		}
		return 0
	})
	return stats, tot
}

func cmpDesc[T time.Duration | uint64](a, b T) int {
	if a > b {
		return -1
	}
	return 1
}

// median returns the middle value (the lower middle for an even count); zero for none.
func median[T time.Duration | uint64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
