package profiling

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/pprof/profile"
)

// PGOWindow is one CPU window from one instance, an input of MergePGO.
type PGOWindow struct {
	Instance   string // the instance label; windows are counted per instance
	Start, End time.Time
	Profile    *profile.Profile
}

// PGOSummary says what a merged PGO profile covers.
type PGOSummary struct {
	Windows   int            // windows merged
	Skipped   int            // windows left out because their length differs from Length
	Instances map[string]int // windows merged per instance
	Length    time.Duration  // the window length kept (the most common one)
	Samples   int64          // CPU samples in the merged profile
	CPU       time.Duration  // CPU time the samples stand for
	Top       []PGOFunc      // the hottest functions by flat CPU, at most 10
}

// PGOFunc is one function's share of the merged CPU samples.
type PGOFunc struct {
	Name  string
	Flat  int64   // samples where it was the leaf
	Share float64 // Flat / all samples
}

// MergePGO merges CPU windows into one profile that `go build -pgo` accepts (a CPU pprof with
// samples/count and cpu/nanoseconds). Only windows of the most common length are merged, so every
// window weighs the same and no instance or restart dominates; the others are counted in
// PGOSummary.Skipped. Sample labels (routes) and comments are dropped: the compiler reads neither.
// It fails with an error wrapping ErrNotFound when no window has CPU samples, and ErrBadRequest when a
// window is not a CPU profile or the profiles lack the function start lines the compiler needs.
func MergePGO(ws []PGOWindow) (*profile.Profile, PGOSummary, error) {
	sum := PGOSummary{Instances: map[string]int{}}
	for _, w := range ws {
		if !isCPUProfile(w.Profile) {
			return nil, sum, fmt.Errorf("profiling: pgo: window %s of %s: %w: not a CPU profile", w.Start.UTC().Format(time.RFC3339), w.Instance, ErrBadRequest)
		}
	}
	sum.Length = modalLength(ws)
	var ps []*profile.Profile
	for _, w := range ws {
		if !sameLength(w.End.Sub(w.Start), sum.Length) {
			sum.Skipped++
			continue
		}
		p := w.Profile.Copy()
		for _, s := range p.Sample {
			s.Label, s.NumLabel, s.NumUnit = nil, nil, nil
		}
		p.Comments = nil
		ps = append(ps, p)
		sum.Windows++
		sum.Instances[w.Instance]++
	}
	if len(ps) == 0 {
		return nil, sum, fmt.Errorf("profiling: pgo: %w: no CPU windows to merge", ErrNotFound)
	}
	m, err := profile.Merge(ps)
	if err != nil {
		return nil, sum, fmt.Errorf("profiling: pgo: merge %d windows: %w", len(ps), err)
	}
	if !slices.ContainsFunc(m.Function, func(f *profile.Function) bool { return f.StartLine != 0 }) {
		return nil, sum, fmt.Errorf("profiling: pgo: %w: the profiles lack Function.start_line, which go build -pgo needs (written by Go 1.20 and later)", ErrBadRequest)
	}
	m.Comments = []string{fmt.Sprintf("hotpath pgo: %d windows of %v from %d instances", sum.Windows, sum.Length, len(sum.Instances))}
	sum.Samples, sum.CPU, sum.Top = cpuTotals(m)
	if sum.Samples == 0 {
		return nil, sum, fmt.Errorf("profiling: pgo: %w: the windows hold no CPU samples", ErrNotFound)
	}
	return m, sum, nil
}

// isCPUProfile reports whether p has the sample types of a Go CPU profile.
func isCPUProfile(p *profile.Profile) bool {
	return p != nil && sampleIndex(p, "samples", "count") >= 0 && sampleIndex(p, "cpu", "nanoseconds") >= 0
}

func sampleIndex(p *profile.Profile, typ, unit string) int {
	return slices.IndexFunc(p.SampleType, func(st *profile.ValueType) bool { return st.Type == typ && st.Unit == unit })
}

// modalLength returns the most common window length, rounded to the second (the longest on a tie).
func modalLength(ws []PGOWindow) time.Duration {
	counts := map[time.Duration]int{}
	for _, w := range ws {
		counts[w.End.Sub(w.Start).Round(time.Second)]++
	}
	var best time.Duration
	for _, d := range slices.Sorted(maps.Keys(counts)) {
		if counts[d] >= counts[best] {
			best = d
		}
	}
	return best
}

func sameLength(d, want time.Duration) bool { return d.Round(time.Second) == want }

// cpuTotals returns the samples, the CPU time and the ten hottest functions by flat samples of m.
func cpuTotals(m *profile.Profile) (int64, time.Duration, []PGOFunc) {
	si, ci := sampleIndex(m, "samples", "count"), sampleIndex(m, "cpu", "nanoseconds")
	var samples, cpu int64
	flat := map[string]int64{}
	for _, s := range m.Sample {
		samples += s.Value[si]
		cpu += s.Value[ci]
		if len(s.Location) > 0 && len(s.Location[0].Line) > 0 && s.Location[0].Line[0].Function != nil {
			flat[s.Location[0].Line[0].Function.Name] += s.Value[si]
		}
	}
	var top []PGOFunc
	for name, n := range flat {
		top = append(top, PGOFunc{Name: name, Flat: n, Share: float64(n) / float64(max(samples, 1))})
	}
	slices.SortFunc(top, func(a, b PGOFunc) int {
		return cmp.Or(cmp.Compare(b.Flat, a.Flat), cmp.Compare(a.Name, b.Name))
	})
	return samples, time.Duration(cpu), top[:min(len(top), 10)]
}

// StorePGOWindows reads the CPU windows of the local store in dir that overlap [from, to) (a zero time
// leaves that side open), without writing to the store. The instance of each window is read from the
// labels the profiler wrote into it, else from its file name.
func StorePGOWindows(dir string, from, to time.Time) ([]PGOWindow, error) {
	s, err := OpenStore(StoreConfig{Dir: dir, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	var ws []PGOWindow
	for _, e := range s.List(KindCPU, from, to) {
		if e.Source != "window" {
			continue // captures have other lengths and reasons
		}
		_, p, err := s.read(e)
		if err != nil {
			continue // vanished or corrupt: the store has dropped it
		}
		instance := labelsFromComments(p.Comments)["instance"]
		if instance == "" {
			instance = e.Instance
		}
		ws = append(ws, PGOWindow{Instance: instance, Start: e.Start, End: e.End, Profile: p})
	}
	return ws, nil
}
