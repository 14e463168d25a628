package hotlines

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

// Profile holds the weights of one pprof profile keyed by source line, function and call edge.
type Profile struct {
	// Kind is "cpu" for a CPU profile, "alloc" for a heap profile (weights are allocated bytes),
	// or the sample type's name otherwise.
	Kind string
	// Unit is the unit of every weight: "nanoseconds", "bytes", "count".
	Unit string
	// Total is the sum of the chosen sample value over all samples.
	Total int64

	self   map[Line]int64 // innermost non-runtime frame (with its inline chain)
	cum    map[Line]int64 // every frame on the stack, once per sample
	objs   map[Line]int64 // allocated objects charged like self (heap profiles only)
	funcs  map[string]int64
	edges  map[Line]map[string]int64 // call site → callee → weight
	leaf   map[Line]map[string]int64 // the same, for call edges in a sample's two innermost locations
	byBase map[string][]string       // basename → files seen, for suffix matching
}

// Line is a position in a source file as the profile names it (usually an absolute path).
type Line struct {
	File string
	Line int
}

// Edge is a call observed in the profile: the call site (the caller's file and line) and the function
// that was running below it.
type Edge struct {
	Site   Line
	Caller string // function name of the caller frame
	Callee string // function name of the callee frame, as the profile spells it
}

// Read parses the profile at path.
func Read(path string) (*Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read %q: %w", ErrProfile, path, err)
	}
	defer f.Close()
	p, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%w: read %q: %w", ErrProfile, path, err)
	}
	return p, nil
}

// Parse parses a gzipped or plain pprof profile (legacy text heap profiles too).
func Parse(r io.Reader) (*Profile, error) {
	prof, err := profile.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProfile, err)
	}
	return FromProfile(prof)
}

// FromProfile builds the weights of an already parsed profile. It picks CPU time for a CPU profile,
// allocated bytes for a heap profile, and the last sample value otherwise.
func FromProfile(prof *profile.Profile) (*Profile, error) {
	if len(prof.SampleType) == 0 {
		return nil, fmt.Errorf("%w: no sample types", ErrProfile)
	}
	vi, kind := pickValue(prof)
	oi := -1
	for i, st := range prof.SampleType {
		if st.Type == "alloc_objects" {
			oi = i
		}
	}
	p := &Profile{
		Kind:   kind,
		Unit:   prof.SampleType[vi].Unit,
		self:   map[Line]int64{},
		cum:    map[Line]int64{},
		objs:   map[Line]int64{},
		funcs:  map[string]int64{},
		edges:  map[Line]map[string]int64{},
		leaf:   map[Line]map[string]int64{},
		byBase: map[string][]string{},
	}
	seen := map[Line]bool{}
	seenEdge := map[Edge]bool{}
	for _, s := range prof.Sample {
		if vi >= len(s.Value) {
			return nil, fmt.Errorf("%w: sample has %d values, want %d", ErrProfile, len(s.Value), len(prof.SampleType))
		}
		v := s.Value[vi]
		if v == 0 {
			continue
		}
		p.Total += v
		var objs int64
		if oi >= 0 {
			objs = s.Value[oi]
		}
		p.addSample(frames(s), v, objs, seen, seenEdge)
	}
	for f := range p.fileSet() {
		b := filepath.Base(f)
		p.byBase[b] = append(p.byBase[b], f)
	}
	return p, nil
}

func pickValue(prof *profile.Profile) (int, string) {
	for i, st := range prof.SampleType {
		if st.Type == "cpu" {
			return i, "cpu"
		}
	}
	for i, st := range prof.SampleType {
		if st.Type == "alloc_space" {
			return i, "alloc"
		}
	}
	last := len(prof.SampleType) - 1
	return last, prof.SampleType[last].Type
}

// frame is one function activation, inlined or not, leaf first.
type frame struct {
	fn   string
	line Line
	loc  int // index of the location it came from; frames of one location share it
}

// frames expands a sample's locations into frames, innermost first, resolving inlined calls.
func frames(s *profile.Sample) []frame {
	var out []frame
	for li, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function == nil {
				continue
			}
			out = append(out, frame{fn: ln.Function.Name, line: Line{ln.Function.Filename, int(ln.Line)}, loc: li})
		}
	}
	return out
}

// IsRuntime reports whether a function belongs to the Go runtime, whose frames are charged to their
// caller.
func IsRuntime(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/") ||
		strings.HasPrefix(fn, "runtime/internal/")
}

func (p *Profile) addSample(fs []frame, v, objs int64, seen map[Line]bool, seenEdge map[Edge]bool) {
	clear(seen)
	clear(seenEdge)
	// Self: the first non-runtime frame and the rest of its location's inline chain.
	for i, f := range fs {
		if IsRuntime(f.fn) {
			continue
		}
		p.funcs[f.fn] += v
		for _, g := range fs[i:] {
			if g.loc != f.loc {
				break
			}
			if !seen[g.line] {
				seen[g.line] = true
				p.self[g.line] += v
				p.objs[g.line] += objs
			}
		}
		break
	}
	clear(seen)
	for i, f := range fs {
		if !seen[f.line] {
			seen[f.line] = true
			p.cum[f.line] += v
		}
		if i+1 < len(fs) {
			caller := fs[i+1]
			e := Edge{Site: caller.line, Caller: caller.fn, Callee: f.fn}
			if !seenEdge[e] {
				seenEdge[e] = true
				addEdge(p.edges, e, v)
				if caller.loc <= 1 {
					addEdge(p.leaf, e, v)
				}
			}
		}
	}
}

func addEdge(m map[Line]map[string]int64, e Edge, v int64) {
	byCallee := m[e.Site]
	if byCallee == nil {
		byCallee = map[string]int64{}
		m[e.Site] = byCallee
	}
	byCallee[e.Callee] += v
}

func (p *Profile) fileSet() map[string]bool {
	files := map[string]bool{}
	for l := range p.cum {
		files[l.File] = true
	}
	return files
}

// resolve maps a file name as a compiler or go/packages reports it to the name the profile uses: the
// exact path, else the profile file sharing the longest run of trailing path elements (profiles built
// with -trimpath name files by import path, the compiler by ./relative path). A tie between candidates
// resolves to nothing rather than to the wrong file.
func (p *Profile) resolve(file string) string {
	file = filepath.ToSlash(filepath.Clean(file))
	cands := p.byBase[filepath.Base(file)]
	best, bestN, tie := "", 0, false
	for _, c := range cands {
		if c == file {
			return c
		}
		n := commonSuffix(c, file)
		switch {
		case n > bestN:
			best, bestN, tie = c, n, false
		case n == bestN:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// commonSuffix counts the trailing path elements a and b share.
func commonSuffix(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := 0
	for n < len(as) && n < len(bs) && as[len(as)-1-n] == bs[len(bs)-1-n] && as[len(as)-1-n] != "." {
		n++
	}
	return n
}

// Self is the weight charged to a line as the innermost non-runtime frame (see the package doc).
func (p *Profile) Self(file string, line int) int64 {
	return p.self[Line{p.resolve(file), line}]
}

// Objects is the number of objects allocated at a line (heap profiles; 0 otherwise).
func (p *Profile) Objects(file string, line int) int64 {
	return p.objs[Line{p.resolve(file), line}]
}

// Cum is the weight of samples with the line anywhere on the stack.
func (p *Profile) Cum(file string, line int) int64 {
	return p.cum[Line{p.resolve(file), line}]
}

// Func is the weight charged to a function as the innermost non-runtime frame.
func (p *Profile) Func(name string) int64 { return p.funcs[name] }

// Callee is one function observed below a call site, with its weight.
type Callee struct {
	Name   string
	Weight int64
}

// CalleesAt returns the functions called from a line, heaviest first (ties by name).
func (p *Profile) CalleesAt(file string, line int) []Callee {
	return sortedCallees(p.edges[Line{p.resolve(file), line}])
}

// LeafCalleesAt is CalleesAt counting only call edges within each sample's two innermost locations (the
// leaf function, its caller, and what was inlined into them). That is the part of a profile the Go
// compiler's PGO call graph sees: internal/profile.NewGraph counts only the last two frames as a call
// edge.
func (p *Profile) LeafCalleesAt(file string, line int) []Callee {
	return sortedCallees(p.leaf[Line{p.resolve(file), line}])
}

func sortedCallees(byName map[string]int64) []Callee {
	out := make([]Callee, 0, len(byName))
	for n, w := range byName {
		out = append(out, Callee{n, w})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Lines returns every line with a self weight, heaviest first.
func (p *Profile) Lines() []Line {
	out := make([]Line, 0, len(p.self))
	for l := range p.self {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := p.self[out[i]], p.self[out[j]]
		if a != b {
			return a > b
		}
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// Share is w as a fraction of the profile's total (0 when the profile is empty).
func (p *Profile) Share(w int64) float64 {
	if p.Total == 0 {
		return 0
	}
	return float64(w) / float64(p.Total)
}
